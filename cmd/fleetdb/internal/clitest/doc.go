// Package clitest is what the tests of the fleetdb command's packages
// share: in-process command runs with the exit status main would give
// (Run), a real server on a free port (Server), buffers that say whether
// they are a terminal, and golden files. It is imported by tests only.
package clitest
