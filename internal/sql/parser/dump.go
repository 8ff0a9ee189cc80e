package parser

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"
)

// Dump returns an indented, position-free description of the tree under n:
// one line per node or set field, zero-valued fields left out. Two trees
// with the same Dump are equal but for positions and identifier quoting.
func Dump(n Node) string {
	var b strings.Builder
	dumpValue(&b, reflect.ValueOf(n), 0)
	return b.String()
}

var posType = reflect.TypeOf(node{})

func dumpValue(b *strings.Builder, v reflect.Value, depth int) {
	indent := strings.Repeat("  ", depth)
	switch v.Kind() {
	case reflect.Interface:
		if v.IsNil() {
			b.WriteString("nil\n")
			return
		}
		dumpValue(b, v.Elem(), depth)
	case reflect.Pointer:
		if v.IsNil() {
			b.WriteString("nil\n")
			return
		}
		if v.Elem().Kind() != reflect.Struct {
			dumpValue(b, v.Elem(), depth)
			return
		}
		dumpValue(b, v.Elem(), depth)
	case reflect.Struct:
		t := v.Type()
		var addr any
		if v.CanAddr() {
			addr = v.Addr().Interface()
		}
		switch x := addr.(type) {
		case *Ident:
			fmt.Fprintf(b, "Ident %s\n", strconv.Quote(x.Name))
			return
		case *QName:
			fmt.Fprintf(b, "QName %s\n", dumpNames(x.Parts))
			return
		case *ColumnRef:
			fmt.Fprintf(b, "ColumnRef %s\n", dumpNames(x.Parts))
			return
		}
		fmt.Fprintf(b, "%s\n", t.Name())
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			if f.Type == posType || !f.IsExported() {
				continue
			}
			fv := v.Field(i)
			if fv.IsZero() {
				continue
			}
			fmt.Fprintf(b, "%s  %s: ", indent, f.Name)
			dumpValue(b, fv, depth+1)
		}
	case reflect.Slice:
		fmt.Fprintf(b, "[%d]\n", v.Len())
		for i := 0; i < v.Len(); i++ {
			fmt.Fprintf(b, "%s  - ", indent)
			dumpValue(b, v.Index(i), depth+1)
		}
	case reflect.String:
		b.WriteString(strconv.Quote(v.String()) + "\n")
	case reflect.Uint8:
		if v.Type() == reflect.TypeOf(LitKind(0)) {
			b.WriteString(LitKind(v.Uint()).String() + "\n")
			return
		}
		fmt.Fprintf(b, "%d\n", v.Uint())
	default:
		fmt.Fprintf(b, "%v\n", v.Interface())
	}
}

func dumpNames(ids []*Ident) string {
	parts := make([]string, len(ids))
	for i, id := range ids {
		parts[i] = strconv.Quote(id.Name)
	}
	return strings.Join(parts, ".")
}

// String names the literal kind.
func (k LitKind) String() string {
	switch k {
	case LitNumber:
		return "number"
	case LitString:
		return "string"
	case LitBool:
		return "bool"
	case LitNull:
		return "null"
	}
	return "LitKind(" + strconv.Itoa(int(k)) + ")"
}
