// Package testcert makes throwaway certificate authorities and certificates
// for tests of TLS (the client port) and of mutual TLS between cluster
// members. Nothing here is meant for production keys.
package testcert
