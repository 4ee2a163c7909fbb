package live

import (
	"reflect"

	"github.com/mouseauth/mouseauth/classify"
)

// modelBytes estimates the memory a decoded model holds (a classify.Model,
// or a classify.SavedModel with its header's guard): the model's value
// and everything it reaches, walked by reflection (the elements of slices,
// strings, pointer targets, map entries), each pointer target counted
// once. A slice counts its length, not its capacity: the decoder cuts the
// trees of a forest out of one array, and each tree's capacity runs to
// that array's end. It leaves out allocator rounding and map overhead
// (TestModelBytes compares it with the heap a decoded model takes). It is written by hand because the model
// types are classify's and no library of the standard set measures a
// value's reachable size.
func modelBytes(m any) int64 {
	if m == nil {
		return 0
	}
	v := reflect.ValueOf(m)
	w := sizeWalker{seen: map[uintptr]bool{}, flat: map[reflect.Type]bool{}}
	if sm, ok := m.(*classify.SavedModel); ok && sm != nil {
		// Shared with every model of the schema: not this model's to count.
		for _, p := range sm.SharedParts() {
			w.seen[reflect.ValueOf(p).Pointer()] = true
		}
	}
	return int64(v.Type().Size()) + w.reached(v)
}

type sizeWalker struct {
	seen map[uintptr]bool
	flat map[reflect.Type]bool // types that hold no pointers, strings, slices or maps
}

// isFlat reports whether a value of t reaches no other memory.
func (w *sizeWalker) isFlat(t reflect.Type) bool {
	if f, ok := w.flat[t]; ok {
		return f
	}
	w.flat[t] = false // a recursive type is not flat
	f := true
	switch t.Kind() {
	case reflect.Pointer, reflect.Interface, reflect.Slice, reflect.String, reflect.Map, reflect.Chan, reflect.Func, reflect.UnsafePointer:
		f = false
	case reflect.Array:
		f = t.Len() == 0 || w.isFlat(t.Elem())
	case reflect.Struct:
		for i := range t.NumField() {
			if !w.isFlat(t.Field(i).Type) {
				f = false
				break
			}
		}
	}
	w.flat[t] = f
	return f
}

// reached returns the bytes v reaches outside its own inline size.
func (w *sizeWalker) reached(v reflect.Value) int64 {
	if w.isFlat(v.Type()) {
		return 0
	}
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() || w.seen[v.Pointer()] {
			return 0
		}
		w.seen[v.Pointer()] = true
		return int64(v.Type().Elem().Size()) + w.reached(v.Elem())
	case reflect.Interface:
		if v.IsNil() {
			return 0
		}
		e := v.Elem()
		if e.Kind() == reflect.Pointer {
			return w.reached(e)
		}
		return int64(e.Type().Size()) + w.reached(e)
	case reflect.Slice:
		if v.Len() == 0 || w.seen[v.Pointer()] {
			return 0
		}
		w.seen[v.Pointer()] = true
		n := int64(v.Len()) * int64(v.Type().Elem().Size())
		if !w.isFlat(v.Type().Elem()) {
			for i := range v.Len() {
				n += w.reached(v.Index(i))
			}
		}
		return n
	case reflect.String:
		return int64(v.Len())
	case reflect.Array:
		var n int64
		for i := range v.Len() {
			n += w.reached(v.Index(i))
		}
		return n
	case reflect.Struct:
		var n int64
		for i := range v.NumField() {
			n += w.reached(v.Field(i))
		}
		return n
	case reflect.Map:
		if v.IsNil() || w.seen[v.Pointer()] {
			return 0
		}
		w.seen[v.Pointer()] = true
		kt, et := v.Type().Key(), v.Type().Elem()
		n := int64(v.Len()) * int64(kt.Size()+et.Size())
		it := v.MapRange()
		for it.Next() {
			n += w.reached(it.Key()) + w.reached(it.Value())
		}
		return n
	}
	return 0
}
