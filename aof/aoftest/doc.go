// Package aoftest provides FaultFS, an in-memory aof.FS that injects I/O failures and
// simulates power cuts, for tests of package aof and of the database built on it.
//
// The model: every file has its current contents and the contents as of its last successful
// Sync; the directory tree has its current entries and the entries as of the last SyncDir of
// each directory. A power cut throws away everything that was not made durable that way:
// unsynced bytes, and creates, renames and removes not followed by a directory sync.
package aoftest
