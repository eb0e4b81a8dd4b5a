package scenario

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Pos is a position in a script: 1-based line and column (in runes).
type Pos struct {
	File      string
	Line, Col int
}

func (p Pos) String() string { return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Col) }

// SyntaxError is a script error found before anything runs.
type SyntaxError struct {
	Pos Pos
	Msg string
}

func (e *SyntaxError) Error() string { return e.Pos.String() + ": " + e.Msg }

// ErrorList is every error of a script, in source order.
type ErrorList []*SyntaxError

func (l ErrorList) Error() string {
	var b strings.Builder
	for i, e := range l {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(e.Error())
	}
	return b.String()
}

// maxErrors bounds the errors one parse reports.
const maxErrors = 20

// word is one token of a line: a bare word, "a quoted string", or
// key=value (either side of which may be quoted on the value side).
type word struct {
	pos    Pos
	key    string // "" for a positional word
	val    string
	quoted bool // val came from a quoted string
}

// line is one logical line: its command word and arguments.
type line struct {
	pos      Pos
	indented bool
	name     string
	args     []word
	body     []*line // the indented lines of an ib block
}

// lex splits src into lines of words. Comments run from an unquoted '#'
// to the end of the line.
func lex(file string, src []byte, errs *ErrorList) []*line {
	var out []*line
	n := 0
	for len(src) > 0 || n == 0 {
		n++
		var raw []byte
		if i := indexByte(src, '\n'); i >= 0 {
			raw, src = src[:i], src[i+1:]
		} else {
			raw, src = src, nil
		}
		if !utf8.Valid(raw) {
			errs.add(Pos{file, n, 1}, "line is not valid UTF-8")
			continue
		}
		s := strings.TrimRight(string(raw), "\r")
		ws := lexLine(file, n, s, errs)
		if len(ws) == 0 {
			if len(src) == 0 {
				break
			}
			continue
		}
		l := &line{pos: ws[0].pos, indented: ws[0].pos.Col > 1, name: ws[0].val, args: ws[1:]}
		if ws[0].key != "" || ws[0].quoted {
			errs.add(ws[0].pos, fmt.Sprintf("a line must start with a command, not %q", ws[0].text()))
			continue
		}
		out = append(out, l)
		if len(src) == 0 {
			break
		}
	}
	return out
}

func indexByte(b []byte, c byte) int {
	for i, x := range b {
		if x == c {
			return i
		}
	}
	return -1
}

func (w word) text() string {
	v := w.val
	if w.quoted {
		v = fmt.Sprintf("%q", v)
	}
	if w.key != "" {
		return w.key + "=" + v
	}
	return v
}

// lexLine splits one physical line into words.
func lexLine(file string, ln int, s string, errs *ErrorList) []word {
	var ws []word
	rs := []rune(s)
	i := 0
	for i < len(rs) {
		if unicode.IsSpace(rs[i]) {
			i++
			continue
		}
		if rs[i] == '#' {
			break
		}
		start := i
		pos := Pos{file, ln, start + 1}
		var w word
		w.pos = pos
		// Read up to '=', whitespace, '#' or a quote.
		j := i
		for j < len(rs) && !unicode.IsSpace(rs[j]) && rs[j] != '=' && rs[j] != '"' && rs[j] != '#' {
			j++
		}
		head := string(rs[i:j])
		i = j
		if i < len(rs) && rs[i] == '=' {
			if head == "" {
				errs.add(pos, "'=' without a key")
				return nil
			}
			w.key = head
			i++
			if i < len(rs) && rs[i] == '"' {
				v, n, ok := unquote(rs[i:])
				if !ok {
					errs.add(Pos{file, ln, i + 1}, "unterminated string")
					return nil
				}
				w.val, w.quoted = v, true
				i += n
			} else {
				j := i
				for j < len(rs) && !unicode.IsSpace(rs[j]) && rs[j] != '#' && rs[j] != '"' {
					j++
				}
				w.val = string(rs[i:j])
				i = j
				if w.val == "" {
					errs.add(pos, fmt.Sprintf("%s= has no value", w.key))
					return nil
				}
			}
		} else if head == "" && i < len(rs) && rs[i] == '"' {
			v, n, ok := unquote(rs[i:])
			if !ok {
				errs.add(pos, "unterminated string")
				return nil
			}
			w.val, w.quoted = v, true
			i += n
		} else {
			w.val = head
		}
		if i < len(rs) && !unicode.IsSpace(rs[i]) && rs[i] != '#' {
			errs.add(Pos{file, ln, i + 1}, fmt.Sprintf("unexpected %q after %q (separate arguments with spaces)", rs[i], w.text()))
			return nil
		}
		ws = append(ws, w)
	}
	return ws
}

// unquote reads a "…" string at the start of rs with \" \\ \n \t escapes.
// It returns the string and the runes consumed.
func unquote(rs []rune) (string, int, bool) {
	var b strings.Builder
	for i := 1; i < len(rs); i++ {
		switch rs[i] {
		case '"':
			return b.String(), i + 1, true
		case '\\':
			i++
			if i >= len(rs) {
				return "", 0, false
			}
			switch rs[i] {
			case 'n':
				b.WriteRune('\n')
			case 't':
				b.WriteRune('\t')
			default:
				b.WriteRune(rs[i])
			}
		default:
			b.WriteRune(rs[i])
		}
	}
	return "", 0, false
}

func (l *ErrorList) add(p Pos, msg string) {
	if len(*l) < maxErrors {
		*l = append(*l, &SyntaxError{Pos: p, Msg: msg})
	}
}

// group attaches indented lines to the block command before them.
func group(ls []*line, errs *ErrorList) []*line {
	var out []*line
	var block *line
	for _, l := range ls {
		if l.indented {
			if block == nil {
				errs.add(l.pos, fmt.Sprintf("indented line %q outside an ib block (only packets of an ib are indented)", l.name))
				continue
			}
			block.body = append(block.body, l)
			continue
		}
		block = nil
		if l.name == "ib" {
			block = l
		}
		out = append(out, l)
	}
	return out
}
