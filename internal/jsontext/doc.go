// Package jsontext is the module's one scanner of JSON text: the pieces
// every package that reads JSON without decoding it shares.
//
//   - White space: IsSpace, SkipSpace, TrimSpace.
//   - Strings: StringEnd finds the closing quote of a string in JSON known
//     to be valid; ScanString checks one.
//   - Values in valid JSON: ValueEnd, Depth, AppendCompact and
//     CompactString (white space outside strings removed).
//   - Validation: Valid accepts what encoding/json's Valid accepts (the
//     fuzz tests compare them) without allocating; Check says where and why
//     a text is not one JSON value nested at most so deep.
//   - Streams: Nesting follows text a byte at a time (inside a string or
//     not, how deep); Reader reads the values of a stream of any size one
//     at a time with bounded memory.
//
// Functions that take text accept a string or a []byte. Functions on
// "valid JSON" trust their input and never fail; given invalid text they
// return some index within it, never panic.
package jsontext
