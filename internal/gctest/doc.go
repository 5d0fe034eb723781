// Package gctest helps tests show that memory the collector freed is not
// used any more: the indexes' runs hold their keys without keeping them
// alive (internal/btree, borrow.go), so their tests collect and then write
// over what was freed before they read every key again.
package gctest
