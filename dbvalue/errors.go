package dbvalue

import (
	"errors"
	"fmt"
)

// ErrCorrupt is returned when a snapshot cannot be decoded.
var ErrCorrupt = errors.New("dbvalue: corrupt snapshot")

func errorf(format string, args ...any) error {
	return fmt.Errorf("dbvalue: "+format, args...)
}
