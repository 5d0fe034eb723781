package btree

// Edit is an ownership token for transient edits.
//
// Every node records the Edit that created it. An operation given token e
// modifies in place the nodes owned by e and copies every other node it has to
// change; the copies are owned by e. Trees produced with e therefore share and
// keep mutating nodes as long as e is used, which is what makes a batch of
// edits cheap. Once the caller stops passing e (it takes a NewEdit for the next
// batch, or passes nil), no node owned by e is ever written again, and every
// tree produced so far is an immutable value.
//
// An Edit carries no state besides its address. It is not safe to use one Edit
// from several goroutines at once, nor to read a tree while another goroutine
// edits it (or any tree sharing its nodes) with the tree's owning Edit.
type Edit struct {
	// Non-zero size, so that distinct Edits have distinct addresses
	// (pointers to distinct zero-size variables may compare equal).
	_ byte
}

// NewEdit returns a fresh ownership token that owns no node yet.
func NewEdit() *Edit { return new(Edit) }
