package kernel

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Format is a tracefs event format file
// (/sys/kernel/tracing/events/<system>/<event>/format).
type Format struct {
	System, Name string
	ID           int
	// Common are the common_* fields; Fields the event's own.
	Common, Fields []Field
	PrintFmt       string
}

// Field is one "field:" line.
type Field struct {
	// Decl is the declaration as written ("__data_loc char[] name").
	Decl string
	// Type is Decl without the name and array suffix ("unsigned int",
	// "__data_loc char[]", "struct dma_fence *").
	Type string
	Name string
	// Offset and Size are in bytes; Signed is the signed flag.
	Offset, Size int
	Signed       bool
	// DataLoc marks a __data_loc field: a u32 holding the offset (low 16
	// bits) and length (high 16) of variable data in the record.
	DataLoc bool
	// ArrayLen is the length of a fixed array field (0 if none).
	ArrayLen int
}

// ParseFormat parses the text of a format file.
func ParseFormat(system, text string) (*Format, error) {
	f := &Format{System: system}
	sc := bufio.NewScanner(strings.NewReader(text))
	common := true
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "":
			// The blank line separates the common fields from the event's.
			if len(f.Common) > 0 {
				common = false
			}
		case strings.HasPrefix(line, "name:"):
			f.Name = strings.TrimSpace(strings.TrimPrefix(line, "name:"))
		case strings.HasPrefix(line, "ID:"):
			id, err := strconv.Atoi(strings.TrimSpace(strings.TrimPrefix(line, "ID:")))
			if err != nil {
				return nil, fmt.Errorf("ID: %v", err)
			}
			f.ID = id
		case strings.HasPrefix(line, "print fmt:"):
			f.PrintFmt = strings.TrimSpace(strings.TrimPrefix(line, "print fmt:"))
		case strings.HasPrefix(line, "field:"):
			fd, err := parseField(line)
			if err != nil {
				return nil, fmt.Errorf("%s: %q: %v", f.Name, line, err)
			}
			if common && strings.HasPrefix(fd.Name, "common_") {
				f.Common = append(f.Common, fd)
			} else {
				common = false
				f.Fields = append(f.Fields, fd)
			}
		}
	}
	if f.Name == "" {
		return nil, fmt.Errorf("no name: line")
	}
	return f, sc.Err()
}

// parseField parses "field:TYPE NAME;	offset:N;	size:N;	signed:N;".
func parseField(line string) (Field, error) {
	var fd Field
	for _, part := range strings.Split(line, ";") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), ":")
		if !ok {
			continue
		}
		var err error
		switch k {
		case "field":
			fd.Decl = v
		case "offset":
			fd.Offset, err = strconv.Atoi(v)
		case "size":
			fd.Size, err = strconv.Atoi(v)
		case "signed":
			var n int
			n, err = strconv.Atoi(v)
			fd.Signed = n != 0
		}
		if err != nil {
			return fd, err
		}
	}
	decl := strings.TrimSpace(fd.Decl)
	if decl == "" {
		return fd, fmt.Errorf("empty declaration")
	}
	i := strings.LastIndexAny(decl, " *")
	name := decl[i+1:]
	typ := strings.TrimSpace(decl[:i+1])
	if j := strings.IndexByte(name, '['); j >= 0 {
		n := strings.TrimSuffix(name[j+1:], "]")
		name = name[:j]
		if n != "" {
			l, err := strconv.Atoi(n)
			if err != nil {
				return fd, fmt.Errorf("array length %q", n)
			}
			fd.ArrayLen = l
		}
		typ += "[" + n + "]"
	}
	fd.Name, fd.Type = name, typ
	fd.DataLoc = strings.HasPrefix(typ, "__data_loc")
	return fd, nil
}

// Field returns the event's field called name.
func (f *Format) Field(name string) (Field, bool) {
	for _, fd := range f.Fields {
		if fd.Name == name {
			return fd, true
		}
	}
	return Field{}, false
}

// LoadFormats reads a directory of saved formats, <dir>/<system>/<event>,
// keyed "system:event".
func LoadFormats(dir string) (map[string]*Format, error) {
	fs := map[string]*Format{}
	systems, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	for _, s := range systems {
		if !s.IsDir() {
			continue
		}
		events, err := os.ReadDir(filepath.Join(dir, s.Name()))
		if err != nil {
			return nil, err
		}
		for _, e := range events {
			b, err := os.ReadFile(filepath.Join(dir, s.Name(), e.Name()))
			if err != nil {
				return nil, err
			}
			f, err := ParseFormat(s.Name(), string(b))
			if err != nil {
				return nil, fmt.Errorf("%s/%s: %v", s.Name(), e.Name(), err)
			}
			fs[s.Name()+":"+f.Name] = f
		}
	}
	return fs, nil
}
