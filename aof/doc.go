// Package aof is FleetDB's append-only log file: it stores opaque byte records, grouped in
// batches, framed and checksummed, with an fsync policy, replay, torn-tail repair and an
// online rewrite for compaction. It knows nothing about queries: the database decides what
// a record means.
//
// # What it owns
//
// One file (the log) and, during a rewrite, a temporary file next to it named after the log
// plus ".rewrite". Every write of the database is one record; the single writer goroutine
// groups writes into a batch and calls Append once per batch: one write(2) and, with
// SyncAlways, one fsync. Recovery keeps whole batches only, so a batch is all or nothing.
//
// # Concurrency contract
//
// Append, BeginRewrite and Close belong to the database's writer goroutine (one at a time).
// Sync, Size, Stats, Rewriting, Err and Path may be called from any goroutine, concurrently
// with Append. A Rewrite's methods run on one other goroutine (the compactor), concurrently
// with Append; only the final catch-up, fsync and rename inside Rewrite.Commit hold the
// append lock. With SyncEverySec the Log owns one goroutine that fsyncs once a second; Close
// stops and joins it. Open calls replay on the caller's goroutine.
//
// # File format (version 1, all integers little-endian)
//
//	file   = header frame*
//
//	header (16 bytes)
//	 0               8       10      12              16
//	 +---------------+-------+-------+---------------+
//	 | magic         | vers  | flags | crc32c        |
//	 | "FLEETAOF"    | u16=1 | u16   | of bytes 0..11|
//	 +---------------+-------+-------+---------------+
//
//	flags:      bit 0  PREALLOCATED: zeros may follow the log, and a crash may have left
//	                   the last append's pages out of order (see Preallocation)
//	            others zero; a header with an unknown flag is refused (ErrVersion)
//
//	frame (12 bytes + payload)
//	 0               4               8               12
//	 +---------------+---------------+---------------+====================+
//	 | size word     | data crc      | header crc    | payload            |
//	 | u32           | u32           | u32           | (length bytes)     |
//	 +---------------+---------------+---------------+====================+
//
//	size word:  bits 0..28  payload length, at most MaxRecordSize (256 MiB)
//	            bits 29..30 reserved, zero
//	            bit  31     END: the last record of its batch
//	data crc:   CRC-32C (Castagnoli) of the size word's 4 bytes followed by the payload,
//	            masked as in LevelDB: rotate right by 15 bits, add 0xa282ead8 (mod 2^32)
//	header crc: CRC-32C of bytes 0..7 of the frame (size word and data crc)
//
// A batch is a run of frames whose last frame, and only that one, has END set. The header
// checksum makes the length trustworthy before it is used, so a damaged length is reported
// as corruption and never mistaken for a record running past the end of the file. Framing
// costs 12 bytes per record (8% of a 150-byte record).
//
// # Recovery
//
// Open reads the file once, batch by batch: it validates every frame of a batch and its END
// frame before handing the batch's records to the caller, so a record of an incomplete batch
// is never replayed. (A batch larger than the 1 MiB read buffer, such as the snapshot batch
// of a rewrite, is read twice: validated, then replayed.) If Open fails, the caller discards
// whatever the replay built. What follows the last complete batch is one of:
//
//   - Nothing: the log opens as it is.
//   - A torn tail, left by a crash in the middle of an append that was therefore never
//     acknowledged: the file ends inside a frame header or inside a payload, or the last
//     batch has no END frame, or a damaged frame is explained by an all-zero suffix of the
//     file (a file system that extended the file but never wrote the data). Open cuts the
//     file at the start of the incomplete batch (truncate and fsync), logs a warning with the
//     offset and the number of bytes dropped, and opens normally. A file shorter than its
//     header holding a prefix of it, or zeros, is a crash while creating the log and gets a
//     fresh header. A zero suffix explains a damaged frame if it starts at or before the
//     frame, or inside it at a 512-byte boundary (file systems zero whole sectors), or
//     inside it and is at least 8 bytes long. So a flipped byte in a committed frame cannot
//     pass for a torn tail unless the record itself ends in zero bytes or the flip turns the
//     file's last byte, sitting on a 512-byte boundary, into zero.
//   - Corruption: a complete frame whose header or data checksum does not match, an
//     impossible length or reserved flags (behind a valid header checksum: a bug or a forged
//     file), or a bad file header. Open fails with a *CorruptError, which wraps ErrCorrupt
//     and names the offset of the damaged frame: "aof: checksum mismatch at offset 4096".
//     Under SyncAlways a synced batch cannot be torn, so damage inside it must not be
//     silently dropped. With Options.Repair, Open instead cuts the file at the start of the
//     batch holding the corruption, losing everything after it, and logs that at error level.
//     A damaged file header is never repaired.
//
// Bytes after the last complete batch that form no valid frame (random garbage, not a
// truncated frame and not an all-zero suffix) are refused as corruption, not cut as a torn
// tail. Our own appends cannot leave them: a crash mid-append leaves a prefix of a frame or
// zeros, both recognised above. So such bytes were written by something else, or they are
// an acknowledged batch whose frame header was damaged, and cutting them silently could lose
// acknowledged data. The refusal names the offset; Repair (`fleetdb check --repair FILE`)
// then cuts them while keeping them, so nothing is lost either way.
//
// An intact header with an unknown version or flags fails with ErrVersion. Check reports
// all of this without modifying the file.
//
// # Preallocation
//
// With SyncAlways and Options.Preallocate, a goroutine of the Log writes zeros ahead of the
// log's end, a round at a time, and fsyncs them: a round is the chunk (the database's default,
// 256 KiB) or twice the last append if that is more, and starts once less than half a round is
// left. Appends then overwrite blocks the file already has, so their
// fsync writes the data and no new file size: on this project's VM (ext4 on a virtual disk) an
// fsync of a 6-KB append took 110-190 us instead of 220-570 (a loop of 1,500 each, four
// settings interleaved), and BenchmarkDurableInsert1 (one writer, an fsync per insert) went
// from 212-378 us to 164-166 per insert (four runs each, one outlier of 376 among the
// preallocated). Over TCP (fleetbench inserts, 64 connections, 5 s, three rounds of three
// servers interleaved), no preallocation / 256-KiB rounds / 2-MiB rounds: 46.5 / 58.6 / 52.2,
// 46.2 / 59.0 / 82.0 and 70.6 / 87.2 / 84.9 k inserts/s; 8.9-9.6 / 7.7-8.6 / 8.1-8.5 us of
// server CPU per insert; p99 5.0 / 3.5 / 4.6, 4.8 / 3.5 / 2.7 and 1.7 / 1.7 / 2.0 ms. A round
// of 2 MiB took 2-3.5 ms to write and fsync, one of 256 KiB 0.5-0.7 ms: the smaller rounds
// disturb the appends' fsyncs for less time each. The zeros are written through a file handle of their own, so that a
// write-back error surfaces in Append's fsync as well as in theirs (Linux reports it once to
// each open file); a failed fsync of them fails the log, a failed write of them (a full disk)
// only stops preallocation, with a warning. Append never writes past the zeroed region while
// a round writes there: it waits for the round (rare, as rounds start half a chunk early).
//
// What changes for recovery: an append that grows a file becomes visible after a crash only
// up to what the file system committed, in order (a prefix, or zeros at the end); one that
// overwrites zeros can leave any subset of its pages, so zeros may come before bytes of the
// same append. The header's PREALLOCATED flag, written (and fsynced) before the first round
// and cleared by Close after it cuts the zeros, tells Open to expect that: a damaged frame
// whose following non-zero bytes all lie within maxUnsynced (1 MiB) of it is a torn append
// ("torn append in the preallocated tail") and is cut like any torn tail. Append keeps that
// bound: in a preallocated log a batch over 1 MiB is written in 1-MiB pieces, each but the
// last fsynced. Damage with non-zero bytes further on is corruption, as in a plain log. The
// price is that damage to the last MiB of acknowledged appends in a preallocated log that
// crashed reads as a torn append (plain logs report it unless zeros explain it). A build from
// before the flag refuses a log a crash left preallocated (ErrVersion) rather than misread
// it; a log closed cleanly is a plain one.
//
// # Repair
//
// Repair cuts a damaged log at the start of the batch holding the first damage (the end of
// the intact prefix, CorruptError.BatchOffset), the way an operator recovers from corruption
// that Open refuses. It never deletes data: first it copies every byte it will cut into a new
// file beside the log, named after the log plus ".cut-<offset>" (never overwriting one),
// fsyncs that file and the directory, and only then truncates the log and fsyncs it. A crash
// at any point leaves either the log untouched, or the cut file complete and the log
// untouched or cut; appending the cut file to the log undoes a repair. It reports the intact
// prefix kept and how many batches and records the cut bytes held. Options.Repair (Open
// cutting without keeping the bytes) is for tests and tools that want the old behaviour.
//
// # Failure
//
// If a write or fsync of the log fails (EIO, ENOSPC, ...), the log fails permanently: that
// call returns an error wrapping ErrFailed and the cause, every later Append and Sync returns
// such an error without touching the file, and an fsync is never retried (after a failed
// fsync the kernel may have dropped the dirty pages). A partial write is left as a torn tail
// that the next Open cuts off; nothing is ever appended after it.
//
// # Rewrite (compaction)
//
// The writer calls BeginRewrite between two Appends; it records the end of the log (the
// state the caller's snapshot reflects) and creates the temporary file with a fresh header.
// The compactor writes the snapshot records with Rewrite.Write and closes them as one batch
// with EndSnapshot, while the writer keeps appending to the old log. Rewrite.Commit copies
// the old log's frames appended since BeginRewrite byte for byte into the new file (most of
// them without blocking Append, the rest under the append lock), fsyncs the new file, renames
// it over the log, fsyncs the directory and switches the Log to the new file.
//
// Crash safety: before the rename the log is untouched and Open removes the stray temporary
// file. After the rename but before the directory fsync, a power cut leaves the path naming
// either the old log (holding everything up to the commit, as nothing was appended after
// it) or the new file (snapshot plus the same tail); both replay to the same state.
package aof
