package parser

import "reflect"

// Relocate sets the position of every node under n (n included) to at. A
// statement built from another one's parts (CREATE TABLE ... LIKE copies
// the source table's columns) relocates the copied parts to the clause
// that brought them, so that an error about them points into the text
// being run, not into the text that defined the source.
func Relocate(n Node, at Pos) {
	relocate(reflect.ValueOf(n), at)
}

func relocate(v reflect.Value, at Pos) {
	switch v.Kind() {
	case reflect.Interface, reflect.Pointer:
		if !v.IsNil() {
			relocate(v.Elem(), at)
		}
	case reflect.Slice:
		for i := 0; i < v.Len(); i++ {
			relocate(v.Index(i), at)
		}
	case reflect.Struct:
		if v.Type() == posType {
			v.Field(0).Set(reflect.ValueOf(at))
			return
		}
		for i := 0; i < v.NumField(); i++ {
			relocate(v.Field(i), at)
		}
	}
}
