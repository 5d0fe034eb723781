package btree

import "errors"

// ErrOutOfOrder is returned (wrapped, with both keys) by Builder.Add when a key
// is not strictly greater than the key added before it. The builder is left as
// it was: the rejected key is not added.
var ErrOutOfOrder = errors.New("btree: key not in strictly ascending order")
