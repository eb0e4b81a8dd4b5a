package scenario

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/vmemu/vmemu/gpu"
	"github.com/vmemu/vmemu/pkt"
	"github.com/vmemu/vmemu/profile"
	"github.com/vmemu/vmemu/uapi"
)

// Script is a parsed, checked scenario.
type Script struct {
	// Name is the file name given to Parse.
	Name string
	// Title is the title line, or Name.
	Title string
	// About is the comment block at the top of the file (without '#').
	About string
	// Policy is the policy line (Explicit if absent).
	Policy Policy
	// Expects are the expect lines.
	Expects []Expect
	ops     []op
	devices []string // in declaration order
}

// Expect is one expect line: conditions on the run's counters, checked
// after the run, under When (the script's own policy if PolicyDefault).
type Expect struct {
	Pos   Pos
	When  Policy
	Conds []Cond
}

// Cond is metric OP value.
type Cond struct {
	Pos    Pos
	Metric string
	Op     string
	Value  int64
}

func (c Cond) String() string { return fmt.Sprintf("%s%s%d", c.Metric, c.Op, c.Value) }

// Metrics are the names expect lines may test, with what they count.
var Metrics = map[string]string{
	"faults":         "GPU VM faults (AMDGPU_INFO_GPUVM_FAULT)",
	"forced-waits":   "E4 forced waits: a CS waited for an unmap/free the client did not wait for",
	"stalls":         "implicit-sync stalls: a CS waited for a fence it did not ask for",
	"races":          "data races between GPU jobs (hazard checker)",
	"cpu-unsync":     "CPU accesses to memory with unsynchronised GPU work (hazard checker)",
	"use-after-free": "accesses to released memory (always a vmemu model bug)",
	"hazards":        "races + cpu-unsync + use-after-free + faults",
	"evictions":      "BO evictions",
	"jobs":           "GPU jobs executed (CS, page-table updates, moves)",
	"deadlocks":      "waits that could never end (failed at once)",
	"checks-failed":  "fails= expectations that did not hold",
}

var condRE = regexp.MustCompile(`^([a-z-]+)(>=|<=|!=|=|>|<)([0-9]+)$`)

// Parse parses and checks a scenario. name is used in positions. On error
// it returns an ErrorList of file:line:col errors and no Script.
func Parse(name string, src []byte) (*Script, error) {
	var errs ErrorList
	lines := group(lex(name, src, &errs), &errs)
	c := &compiler{file: name, errs: &errs, s: &Script{Name: name, Title: name, Policy: Explicit},
		names: map[string]*decl{}, clients: map[string]*clientState{}, devices: map[string]profile.Profile{}}
	c.s.About = about(src)
	for _, l := range lines {
		c.line(l)
	}
	if len(errs) > 0 {
		sort.SliceStable(errs, func(i, j int) bool {
			a, b := errs[i].Pos, errs[j].Pos
			return a.Line < b.Line || a.Line == b.Line && a.Col < b.Col
		})
		return nil, errs
	}
	return c.s, nil
}

// about returns the leading comment block.
func about(src []byte) string {
	var b strings.Builder
	for _, l := range strings.Split(string(src), "\n") {
		t := strings.TrimSpace(l)
		if !strings.HasPrefix(t, "#") {
			break
		}
		t = strings.TrimPrefix(strings.TrimPrefix(t, "#"), " ")
		b.WriteString(t)
		b.WriteByte('\n')
	}
	return strings.TrimSpace(b.String())
}

type declKind string

const (
	kindDevice  declKind = "device"
	kindClient  declKind = "client"
	kindCtx     declKind = "ctx"
	kindBO      declKind = "bo"
	kindSyncobj declKind = "syncobj"
	kindIB      declKind = "ib"
	kindJob     declKind = "submit"
)

type decl struct {
	kind   declKind
	pos    Pos
	client string
	ip     gpu.IP // ib and submit
	freed  bool   // bo
}

type mapping struct {
	bo       string
	va, size uint64
}

type clientState struct {
	device string
	maps   []mapping
}

type compiler struct {
	file    string
	errs    *ErrorList
	s       *Script
	names   map[string]*decl
	clients map[string]*clientState
	devices map[string]profile.Profile
	cur     string // current client
	started bool   // a non-header command was seen
}

func (c *compiler) errf(p Pos, format string, args ...any) {
	c.errs.add(p, fmt.Sprintf(format, args...))
}

// args reads one line's arguments.
type args struct {
	c    *compiler
	l    *line
	used map[string]bool
	npos int
}

func (c *compiler) args(l *line) *args { return &args{c: c, l: l, used: map[string]bool{}} }

func (a *args) positional() []word {
	var ws []word
	for _, w := range a.l.args {
		if w.key == "" {
			ws = append(ws, w)
		}
	}
	return ws
}

// pos returns positional argument i, reporting it missing as what.
func (a *args) pos(i int, what string) (word, bool) {
	ws := a.positional()
	if i >= a.npos {
		a.npos = i + 1
	}
	if i >= len(ws) {
		a.c.errf(a.l.pos, "%s: missing %s", a.l.name, what)
		return word{}, false
	}
	return ws[i], true
}

// optPos returns positional argument i if present.
func (a *args) optPos(i int) (word, bool) {
	ws := a.positional()
	if i >= a.npos {
		a.npos = i + 1
	}
	if i >= len(ws) {
		return word{}, false
	}
	return ws[i], true
}

// rest returns the positional arguments from i on.
func (a *args) rest(i int) []word {
	ws := a.positional()
	a.npos = 1 << 30
	if i >= len(ws) {
		return nil
	}
	return ws[i:]
}

func (a *args) key(k string) (word, bool) {
	a.used[k] = true
	var found word
	ok := false
	for _, w := range a.l.args {
		if w.key == k {
			if ok {
				a.c.errf(w.pos, "%s: %s= given twice", a.l.name, k)
			}
			found, ok = w, true
		}
	}
	return found, ok
}

// done reports unknown keys and extra positional arguments.
func (a *args) done() {
	var known []string
	for k := range a.used {
		known = append(known, k+"=")
	}
	sort.Strings(known)
	n := 0
	for _, w := range a.l.args {
		if w.key == "" {
			n++
			if n > a.npos {
				a.c.errf(w.pos, "%s: unexpected argument %q", a.l.name, w.text())
			}
			continue
		}
		if !a.used[w.key] {
			hint := "takes no key=value arguments"
			if len(known) > 0 {
				hint = "takes " + strings.Join(known, " ")
			}
			a.c.errf(w.pos, "%s: unknown argument %s= (%s %s)", a.l.name, w.key, a.l.name, hint)
		}
	}
}

func (a *args) size(k string, def uint64) uint64 {
	w, ok := a.key(k)
	if !ok {
		return def
	}
	v, err := parseSize(w.val)
	if err != nil {
		a.c.errf(w.pos, "%s: %s=: %v", a.l.name, k, err)
		return def
	}
	return v
}

func (a *args) mode() Mode {
	w, ok := a.key("mode")
	if !ok {
		return ModePolicy
	}
	m, err := parseMode(w.val)
	if err != nil {
		a.c.errf(w.pos, "%s: %v", a.l.name, err)
	}
	return m
}

// names reads key k as a comma-separated list of declared names of kind
// kd owned by the current client.
func (a *args) names(k string, kd declKind) []string {
	w, ok := a.key(k)
	if !ok {
		return nil
	}
	return a.c.refList(w, kd)
}

func (c *compiler) refList(w word, kd declKind) []string {
	var out []string
	for _, n := range strings.Split(w.val, ",") {
		if c.ref(word{pos: w.pos, val: n}, kd) {
			out = append(out, n)
		}
	}
	return out
}

// ref checks that w names a declared object of kind kd of the current
// client.
func (c *compiler) ref(w word, kd declKind) bool {
	d, ok := c.names[nameKey(w.val, kd)]
	switch {
	case w.val == "":
		c.errf(w.pos, "empty %s name", kd)
	case !ok:
		c.errf(w.pos, "unknown %s %q (declare it first with `%s %s …`)", kd, w.val, kd, w.val)
	case d.kind != kd:
		c.errf(w.pos, "%q is %s, not %s (declared at %d:%d)", w.val, article(d.kind), article(kd), d.pos.Line, d.pos.Col)
	case kd != kindDevice && kd != kindClient && d.client != c.cur:
		c.errf(w.pos, "%s %q belongs to client %q, not %q", kd, w.val, d.client, c.cur)
	case kd == kindBO && d.freed:
		c.errf(w.pos, "bo %q was freed", w.val)
	default:
		return true
	}
	return false
}

func (c *compiler) declare(w word, kd declKind) *decl {
	if !isName(w.val) {
		c.errf(w.pos, "%q is not a valid %s name (a letter, then letters, digits, _ - .)", w.val, kd)
		return &decl{}
	}
	if d, ok := c.names[nameKey(w.val, kd)]; ok {
		c.errf(w.pos, "%q is already declared as %s at %d:%d", w.val, article(d.kind), d.pos.Line, d.pos.Col)
		return &decl{}
	}
	d := &decl{kind: kd, pos: w.pos, client: c.cur}
	c.names[nameKey(w.val, kd)] = d
	return d
}

// client makes sure a current client exists (the implicit "app" client).
func (c *compiler) client(p Pos) string {
	if c.cur == "" {
		c.newClient(word{pos: p, val: "app"}, "")
	}
	return c.cur
}

func (c *compiler) newClient(w word, device string) {
	if device == "" {
		device = c.defaultDevice(w.pos)
	}
	c.declare(w, kindClient)
	c.cur = w.val
	c.clients[w.val] = &clientState{device: device}
	c.s.ops = append(c.s.ops, &opClient{base: base{pos: w.pos, client: w.val, src: "client " + w.val}, device: device})
}

func (c *compiler) defaultDevice(p Pos) string {
	if len(c.s.devices) == 0 {
		c.addDevice(&opDevice{base: base{pos: p, src: "device gpu0"}, name: "gpu0"})
	}
	return c.s.devices[0]
}

func (c *compiler) addDevice(o *opDevice) {
	pr, err := profile.Lookup(o.profile)
	if err != nil {
		c.errf(o.pos, "device: %v (known: %s)", err, strings.Join(profile.Names(), ", "))
	}
	c.devices[o.name] = pr
	c.names[o.name] = &decl{kind: kindDevice, pos: o.pos}
	c.s.devices = append(c.s.devices, o.name)
	c.s.ops = append(c.s.ops, o)
}

func (c *compiler) line(l *line) {
	a := c.args(l)
	b := base{pos: l.pos, src: srcOf(l)}
	header := l.name == "title" || l.name == "policy" || l.name == "expect"
	if !header {
		c.started = true
	}
	switch l.name {
	case "title":
		if w, ok := a.pos(0, "title text (in quotes)"); ok {
			c.s.Title = w.val
		}
	case "policy":
		if w, ok := a.pos(0, "policy (implicit, explicit or explicit-per-op)"); ok {
			p, err := ParsePolicy(w.val)
			if err != nil {
				c.errf(w.pos, "policy: %v", err)
			}
			c.s.Policy = p
		}
	case "expect":
		c.expect(l, a)
	case "device":
		w, ok := a.pos(0, "device name")
		o := &opDevice{base: b, name: w.val}
		if pw, ok := a.key("profile"); ok {
			o.profile = pw.val
		}
		o.vram = a.size("vram", 0)
		o.gtt = a.size("gtt", 0)
		if ok {
			if !isName(w.val) {
				c.errf(w.pos, "%q is not a valid device name", w.val)
			} else if d, dup := c.names[w.val]; dup {
				c.errf(w.pos, "%q is already declared as %s at %d:%d", w.val, article(d.kind), d.pos.Line, d.pos.Col)
			} else {
				c.addDevice(o)
			}
		}
	case "client":
		w, ok := a.pos(0, "client name")
		dev := ""
		if dw, ok := a.key("device"); ok && c.ref(dw, kindDevice) {
			dev = dw.val
		}
		if ok {
			if d, exists := c.names[w.val]; exists && d.kind == kindClient {
				if dev != "" && c.clients[w.val].device != dev {
					c.errf(w.pos, "client %q is on device %q already", w.val, c.clients[w.val].device)
				}
				c.cur = w.val // switch
				c.s.ops = append(c.s.ops, &opClient{base: base{pos: w.pos, client: w.val, src: b.src}})
			} else {
				c.newClient(w, dev)
			}
		}
	case "ctx":
		b.client = c.client(l.pos)
		w, ok := a.pos(0, "context name")
		o := &opCtx{base: b, name: w.val, mode: a.mode()}
		if ok {
			c.declare(w, kindCtx)
		}
		c.s.ops = append(c.s.ops, o)
	case "bo":
		b.client = c.client(l.pos)
		w, ok := a.pos(0, "bo name")
		o := &opBO{base: b, name: w.val, size: a.size("size", 4096), domains: uapi.AMDGPU_GEM_DOMAIN_GTT}
		if o.size == 0 {
			c.errf(l.pos, "bo: size must be > 0")
		}
		if dw, ok := a.key("domain"); ok {
			o.domains = 0
			for _, d := range strings.Split(dw.val, ",") {
				switch d {
				case "gtt":
					o.domains |= uapi.AMDGPU_GEM_DOMAIN_GTT
				case "vram":
					o.domains |= uapi.AMDGPU_GEM_DOMAIN_VRAM
				case "cpu":
					o.domains |= uapi.AMDGPU_GEM_DOMAIN_CPU
				default:
					c.errf(dw.pos, "bo: unknown domain %q (gtt, vram, cpu; combine with ',')", d)
				}
			}
		}
		if fw, ok := a.key("flags"); ok {
			for _, f := range strings.Split(fw.val, ",") {
				switch f {
				case "cpu-access":
					o.flags |= uapi.AMDGPU_GEM_CREATE_CPU_ACCESS_REQUIRED
				case "no-cpu-access":
					o.flags |= uapi.AMDGPU_GEM_CREATE_NO_CPU_ACCESS
				case "explicit-sync":
					o.flags |= uapi.AMDGPU_GEM_CREATE_EXPLICIT_SYNC
				case "vm-always-valid":
					o.flags |= uapi.AMDGPU_GEM_CREATE_VM_ALWAYS_VALID
				default:
					c.errf(fw.pos, "bo: unknown flag %q (cpu-access, no-cpu-access, explicit-sync, vm-always-valid)", f)
				}
			}
		}
		c.fails(a, &o.base)
		if ok {
			c.declare(w, kindBO)
		}
		c.s.ops = append(c.s.ops, o)
	case "syncobj":
		b.client = c.client(l.pos)
		ws := a.rest(0)
		if len(ws) == 0 {
			c.errf(l.pos, "syncobj: missing syncobj name")
		}
		sig := false
		if w, ok := a.key("signaled"); ok {
			switch w.val {
			case "true", "yes", "1":
				sig = true
			case "false", "no", "0":
			default:
				c.errf(w.pos, "syncobj: signaled= takes true or false")
			}
		}
		for _, w := range ws {
			c.declare(w, kindSyncobj)
			c.s.ops = append(c.s.ops, &opSyncobj{base: b, name: w.val, signaled: sig})
		}
	case "map", "unmap", "replace", "clear":
		c.va(l, a, b)
	case "ib":
		c.ib(l, a, b)
	case "submit":
		c.submit(l, a, b)
	case "wait":
		b.client = c.client(l.pos)
		o := &opWait{base: b}
		ws := a.rest(0)
		if len(ws) == 0 {
			c.errf(l.pos, "wait: name the submissions to wait for (wait-syncobj, wait-idle for the others)")
		}
		for _, w := range ws {
			if c.ref(w, kindJob) {
				o.jobs = append(o.jobs, w.val)
			}
		}
		c.s.ops = append(c.s.ops, o)
	case "wait-syncobj":
		b.client = c.client(l.pos)
		o := &opWaitSyncobj{base: b}
		ws := a.rest(0)
		if len(ws) == 0 {
			c.errf(l.pos, "wait-syncobj: name the syncobjs to wait for")
		}
		for _, w := range ws {
			if c.ref(w, kindSyncobj) {
				o.syncobjs = append(o.syncobjs, w.val)
			}
		}
		c.fails(a, &o.base)
		c.s.ops = append(c.s.ops, o)
	case "wait-idle":
		b.client = c.client(l.pos)
		o := &opWaitIdle{base: b}
		if w, ok := a.pos(0, "bo name"); ok && c.ref(w, kindBO) {
			o.bo = w.val
		}
		c.s.ops = append(c.s.ops, o)
	case "free":
		b.client = c.client(l.pos)
		o := &opFree{base: b}
		if w, ok := a.pos(0, "bo name"); ok && c.ref(w, kindBO) {
			o.bo = w.val
			c.names[w.val].freed = true
			cs := c.clients[c.cur]
			kept := cs.maps[:0]
			for _, m := range cs.maps {
				if m.bo != w.val {
					kept = append(kept, m)
				}
			}
			cs.maps = kept
		}
		c.fails(a, &o.base)
		c.s.ops = append(c.s.ops, o)
	case "write":
		b.client = c.client(l.pos)
		o := &opWrite{base: b}
		if w, ok := a.pos(0, "bo name"); ok && c.ref(w, kindBO) {
			o.bo = w.val
		}
		o.off = a.size("offset", 0)
		if w, ok := a.key("bytes"); ok {
			d, err := parseHex(w.val)
			if err != nil {
				c.errf(w.pos, "write: bytes=: %v", err)
			}
			o.data = d
		} else {
			c.errf(l.pos, "write: missing bytes=HEX")
		}
		c.s.ops = append(c.s.ops, o)
	case "read":
		b.client = c.client(l.pos)
		o := &opRead{base: b}
		if w, ok := a.pos(0, "bo name"); ok && c.ref(w, kindBO) {
			o.bo = w.val
		}
		o.off = a.size("offset", 0)
		o.n = a.size("len", 0)
		if w, ok := a.key("want"); ok {
			d, err := parseHex(w.val)
			if err != nil {
				c.errf(w.pos, "read: want=: %v", err)
			}
			o.want = d
			if o.n == 0 {
				o.n = uint64(len(d))
			}
		}
		if o.n == 0 {
			o.n = 8
		}
		if o.n > 1<<20 {
			c.errf(l.pos, "read: len= at most 1M")
		}
		c.s.ops = append(c.s.ops, o)
	case "sleep":
		o := &opSleep{base: b}
		if w, ok := a.pos(0, "duration (e.g. 50us)"); ok {
			d, err := parseDuration(w.val)
			if err != nil {
				c.errf(w.pos, "sleep: %v", err)
			}
			o.ns = d
		}
		c.s.ops = append(c.s.ops, o)
	case "drain":
		c.s.ops = append(c.s.ops, &opDrain{base: b})
	default:
		c.errf(l.pos, "unknown command %q (see docs/scenarios.md)", l.name)
		return
	}
	if header && c.started {
		c.errf(l.pos, "%s must come before the first command", l.name)
	}
	if l.name != "ib" && len(l.body) > 0 {
		c.errf(l.body[0].pos, "indented lines belong only to an ib")
	}
	a.done()
}

func srcOf(l *line) string {
	parts := []string{l.name}
	for _, w := range l.args {
		parts = append(parts, w.text())
	}
	return strings.Join(parts, " ")
}

func (c *compiler) fails(a *args, b *base) {
	if w, ok := a.key("fails"); ok {
		e, err := parseErrno(w.val)
		if err != nil {
			c.errf(w.pos, "%s: %v", a.l.name, err)
		}
		b.fails = e
	}
}

func (c *compiler) expect(l *line, a *args) {
	e := Expect{Pos: l.pos}
	if w, ok := a.key("when"); ok {
		p, err := ParsePolicy(w.val)
		if err != nil {
			c.errf(w.pos, "expect: when=: %v", err)
		}
		e.When = p
	}
	a.npos = 1 << 30
	for _, w := range a.l.args {
		if w.key == "when" {
			continue
		}
		a.used[w.key] = true
		if w.quoted {
			c.errf(w.pos, "expect: %s is not a condition like faults=1", w.text())
			continue
		}
		m := condRE.FindStringSubmatch(w.text())
		if m == nil {
			c.errf(w.pos, "expect: %q is not a condition like faults=1 or stalls>=2", w.text())
			continue
		}
		if _, ok := Metrics[m[1]]; !ok {
			var ks []string
			for k := range Metrics {
				ks = append(ks, k)
			}
			sort.Strings(ks)
			c.errf(w.pos, "expect: unknown metric %q (known: %s)", m[1], strings.Join(ks, ", "))
			continue
		}
		v, err := strconv.ParseInt(m[3], 10, 64)
		if err != nil {
			c.errf(w.pos, "expect: %q: value out of range", w.text())
			continue
		}
		e.Conds = append(e.Conds, Cond{Pos: w.pos, Metric: m[1], Op: m[2], Value: v})
	}
	if len(a.l.args) == 0 {
		c.errf(l.pos, "expect: no conditions (e.g. expect faults=1 forced-waits=0)")
	}
	c.s.Expects = append(c.s.Expects, e)
}

func (c *compiler) va(l *line, a *args, b base) {
	b.client = c.client(l.pos)
	o := &opVA{base: b, mode: a.mode()}
	switch l.name {
	case "map":
		o.op = uapi.AMDGPU_VA_OP_MAP
	case "unmap":
		o.op = uapi.AMDGPU_VA_OP_UNMAP
	case "replace":
		o.op = uapi.AMDGPU_VA_OP_REPLACE
	case "clear":
		o.op = uapi.AMDGPU_VA_OP_CLEAR
	}
	var boSize uint64
	if o.op != uapi.AMDGPU_VA_OP_CLEAR {
		if w, ok := a.pos(0, "bo name"); ok && c.ref(w, kindBO) {
			o.bo = w.val
			for _, op := range c.s.ops {
				if bo, ok := op.(*opBO); ok && bo.name == w.val {
					boSize = (bo.size + 4095) &^ 4095
				}
			}
		}
	}
	vw, ok := a.key("va")
	if !ok {
		c.errf(l.pos, "%s: missing va=ADDRESS", l.name)
	} else if v, err := parseUint(vw.val); err != nil {
		c.errf(vw.pos, "%s: va=: %v", l.name, err)
	} else {
		o.va = v
	}
	o.offset = a.size("offset", 0)
	def := boSize - min(o.offset, boSize)
	if o.op == uapi.AMDGPU_VA_OP_CLEAR {
		def = 0
	}
	o.size = a.size("size", def)
	if o.size == 0 {
		c.errf(l.pos, "%s: missing size= (no bo to take it from)", l.name)
	}
	if w, ok := a.key("access"); ok {
		switch w.val {
		case "rw":
		case "ro":
			o.readOnly = true
		default:
			c.errf(w.pos, "%s: access= takes rw or ro", l.name)
		}
	}
	o.in = a.names("in", kindSyncobj)
	if w, ok := a.key("out"); ok {
		name, point, _ := strings.Cut(w.val, "@")
		if c.ref(word{pos: w.pos, val: name}, kindSyncobj) {
			o.out = name
		}
		if point != "" {
			p, err := parseUint(point)
			if err != nil {
				c.errf(w.pos, "%s: out=%s: timeline point: %v", l.name, w.val, err)
			}
			o.point = p
		}
	}
	c.fails(a, &o.base)
	c.s.ops = append(c.s.ops, o)
	if o.fails != 0 {
		return
	}
	// Track the client's VA space statically so packets may name BOs.
	cs := c.clients[c.cur]
	end := o.va + o.size
	switch o.op {
	case uapi.AMDGPU_VA_OP_MAP:
		cs.maps = append(cs.maps, mapping{bo: o.bo, va: o.va, size: o.size})
	case uapi.AMDGPU_VA_OP_UNMAP, uapi.AMDGPU_VA_OP_CLEAR, uapi.AMDGPU_VA_OP_REPLACE:
		kept := cs.maps[:0]
		for _, m := range cs.maps {
			if m.va+m.size <= o.va || m.va >= end || (o.op == uapi.AMDGPU_VA_OP_UNMAP && m.bo != o.bo) {
				kept = append(kept, m)
			}
		}
		cs.maps = kept
		if o.op == uapi.AMDGPU_VA_OP_REPLACE {
			cs.maps = append(cs.maps, mapping{bo: o.bo, va: o.va, size: o.size})
		}
	}
}

// addr resolves an address: a number, or BO[+off] for a BO mapped in the
// current client's VA space (its latest mapping).
func (c *compiler) addr(w word, what string) (uint64, bool) {
	s := w.val
	if s == "" {
		c.errf(w.pos, "missing %s", what)
		return 0, false
	}
	if s[0] >= '0' && s[0] <= '9' {
		v, err := parseUint(s)
		if err != nil {
			c.errf(w.pos, "%s: %v", what, err)
			return 0, false
		}
		return v, true
	}
	name, off, hasOff := strings.Cut(s, "+")
	var o uint64
	if hasOff {
		v, err := parseSize(off)
		if err != nil {
			c.errf(w.pos, "%s: offset: %v", what, err)
			return 0, false
		}
		o = v
	}
	if !c.ref(word{pos: w.pos, val: name}, kindBO) {
		return 0, false
	}
	cs := c.clients[c.cur]
	for i := len(cs.maps) - 1; i >= 0; i-- {
		if cs.maps[i].bo == name {
			if o >= cs.maps[i].size {
				c.errf(w.pos, "%s: offset %#x is past the end of %s's mapping (%#x bytes)", what, o, name, cs.maps[i].size)
			}
			return cs.maps[i].va + o, true
		}
	}
	c.errf(w.pos, "%s: bo %q is not mapped here (map it first, or give a numeric address)", what, name)
	return 0, false
}

func (c *compiler) ib(l *line, a *args, b base) {
	b.client = c.client(l.pos)
	w, ok := a.pos(0, "ib name")
	o := &opIB{base: b, name: w.val, ip: gpu.GFX}
	if ipw, ok := a.key("ip"); ok {
		switch ipw.val {
		case "gfx":
		case "compute":
			o.ip = gpu.COMPUTE
		case "sdma", "dma":
			o.ip = gpu.SDMA
		default:
			c.errf(ipw.pos, "ib: ip= takes gfx, compute or sdma")
		}
	}
	o.offset = a.size("offset", 0)
	if o.offset%4 != 0 {
		c.errf(l.pos, "ib: offset= must be dword aligned")
	}
	complete := false
	if cw, ok := a.key("complete"); ok {
		complete = cw.val == "true" || cw.val == "yes"
		if !complete && cw.val != "false" && cw.val != "no" {
			c.errf(cw.pos, "ib: complete= takes true or false")
		}
	}
	bw, hasBO := a.key("bo")
	if !hasBO {
		c.errf(l.pos, "ib: missing bo=BO (the buffer the IB is written to; it must be mapped)")
	} else if va, ok := c.addr(word{pos: bw.pos, val: bw.val}, "ib bo="); ok {
		o.bo = bw.val
		o.va = va + o.offset
	}
	if ok {
		d := c.declare(w, kindIB)
		d.ip = o.ip
	}
	if len(l.body) == 0 {
		c.errf(l.pos, "ib %s: no packets (indent them under the ib line)", w.val)
	}
	prof := c.devices[c.clients[c.cur].device]
	var p4 pkt.PM4
	p4.Gfx = pkt.GfxLevel(max(prof.IP[uapi.AMDGPU_HW_IP_GFX].Major, 9))
	var sd pkt.SDMA
	if dm := prof.IP[uapi.AMDGPU_HW_IP_DMA]; dm.Major >= 2 {
		sd.Version = pkt.SDMAVersion(int(dm.Major)*10 + int(dm.Minor))
	}
	var ann pkt.Annotation
	ann.Complete = complete
	nerr := len(*c.errs)
	sdma := o.ip == gpu.SDMA
	for _, pl := range l.body {
		c.packet(pl, sdma, &p4, &sd, &ann)
	}
	if sdma {
		if ann.Label != "" || complete {
			c.errf(l.pos, "ib: SDMA IBs carry no annotations (label, reads, writes, busy, complete)")
		}
		o.dwords = sd.Dwords()
		if err := sd.Err(); err != nil {
			c.errf(l.pos, "ib %s: %v", w.val, err)
		}
	} else {
		if ann.Label != "" || ann.Complete || ann.BusyNS != 0 || len(ann.Reads)+len(ann.Writes) > 0 {
			// One leading annotation for label/complete and the
			// accumulated ranges and time (the executor adds them up).
			var pre pkt.PM4
			pre.Gfx = p4.Gfx
			pre.Annotate(ann)
			dw := append(pre.Dwords(), p4.Dwords()...)
			if err := pre.Err(); err != nil {
				c.errf(l.pos, "ib %s: annotation: %v", w.val, err)
			}
			o.dwords = dw
		} else {
			o.dwords = p4.Dwords()
		}
		o.label = ann.Label
		if err := p4.Err(); err != nil {
			c.errf(l.pos, "ib %s: %v", w.val, err)
		}
	}
	if len(o.dwords) == 0 && len(l.body) > 0 && len(*c.errs) == nerr {
		c.errf(l.pos, "ib %s: the packets encode to nothing", w.val)
	}
	if hasBO && o.bo != "" {
		for _, op := range c.s.ops {
			if bo, ok := op.(*opBO); ok && bo.name == o.bo && o.offset+4*uint64(len(o.dwords)) > bo.size {
				c.errf(l.pos, "ib %s: %d dwords at offset %#x do not fit in bo %s (%d bytes)", w.val, len(o.dwords), o.offset, bo.name, bo.size)
			}
		}
	}
	c.s.ops = append(c.s.ops, o)
}

// packet compiles one indented line of an ib.
func (c *compiler) packet(l *line, sdma bool, p4 *pkt.PM4, sd *pkt.SDMA, ann *pkt.Annotation) {
	a := c.args(l)
	defer a.done()
	addr := func(i int, what string) (uint64, bool) {
		w, ok := a.pos(i, what)
		if !ok {
			return 0, false
		}
		return c.addr(w, l.name+" "+what)
	}
	size := func(i int, what string) (uint64, bool) {
		w, ok := a.pos(i, what)
		if !ok {
			return 0, false
		}
		v, err := parseSize(w.val)
		if err != nil {
			c.errf(w.pos, "%s: %s: %v", l.name, what, err)
			return 0, false
		}
		if v == 0 {
			c.errf(w.pos, "%s: %s must be > 0", l.name, what)
			return 0, false
		}
		return v, true
	}
	pm4Only := func() bool {
		if sdma {
			c.errf(l.pos, "%s: not an SDMA packet (SDMA IBs take write-data, copy, fill, fence, nop)", l.name)
			return false
		}
		return true
	}
	switch l.name {
	case "write-data", "write":
		dst, ok := addr(0, "destination")
		bw, hasBytes := a.key("bytes")
		if !hasBytes {
			c.errf(l.pos, "%s: missing bytes=HEX", l.name)
			return
		}
		data, err := parseHex(bw.val)
		if err != nil {
			c.errf(bw.pos, "%s: bytes=: %v", l.name, err)
			return
		}
		if !ok {
			return
		}
		if sdma {
			sd.Write(dst, data)
		} else {
			p4.WriteData(dst, data)
		}
	case "copy", "dma-data":
		src, ok1 := addr(0, "source")
		dst, ok2 := addr(1, "destination")
		n, ok3 := size(2, "length")
		if ok1 && ok2 && ok3 {
			if sdma {
				sd.Copy(src, dst, n)
			} else {
				p4.DMAData(src, dst, n)
			}
		}
	case "fill":
		dst, ok1 := addr(0, "destination")
		n, ok2 := size(1, "length")
		pat := uint64(0)
		if w, ok := a.key("pattern"); ok {
			v, err := parseUint(w.val)
			if err != nil || v > 0xffffffff {
				c.errf(w.pos, "fill: pattern= must be a 32-bit number")
			}
			pat = v
		}
		if ok1 && ok2 {
			if sdma {
				sd.Fill(dst, n, uint32(pat))
			} else {
				p4.DMAFill(dst, n, uint32(pat))
			}
		}
	case "fence", "release-mem":
		dst, ok := addr(0, "destination")
		val := uint64(1)
		if w, ok := a.key("value"); ok {
			v, err := parseUint(w.val)
			if err != nil || v > 0xffffffff {
				c.errf(w.pos, "%s: value= must be a 32-bit number", l.name)
			}
			val = v
		}
		if ok {
			if sdma {
				sd.Fence(dst, uint32(val))
			} else {
				p4.ReleaseMem(dst, uint32(val))
			}
		}
	case "nop":
		n := uint64(1)
		if w, ok := a.optPos(0); ok {
			v, err := parseUint(w.val)
			if err != nil || v == 0 || v > 4096 {
				c.errf(w.pos, "nop: dword count must be 1..4096")
			}
			n = v
		}
		if sdma {
			sd.Nop(int(n))
		} else {
			p4.Nop(int(n))
		}
	case "reads", "writes":
		if !pm4Only() {
			return
		}
		va, ok1 := addr(0, "address")
		n, ok2 := size(1, "length")
		if ok1 && ok2 {
			if va+n < va && va+n != 0 {
				c.errf(l.pos, "%s: range wraps past 2^64", l.name)
				return
			}
			r := pkt.Range{VA: va, Len: n}
			if l.name == "reads" {
				ann.Reads = append(ann.Reads, r)
			} else {
				ann.Writes = append(ann.Writes, r)
			}
		}
	case "busy":
		if !pm4Only() {
			return
		}
		if w, ok := a.pos(0, "duration (e.g. 200us)"); ok {
			d, err := parseDuration(w.val)
			if err != nil {
				c.errf(w.pos, "busy: %v", err)
			}
			ann.BusyNS += d
		}
	case "label":
		if !pm4Only() {
			return
		}
		if w, ok := a.pos(0, "label text"); ok {
			if len(w.val) > 1024 || w.val == "" {
				c.errf(w.pos, "label: 1 to 1024 bytes")
			}
			ann.Label = w.val
		}
	default:
		c.errf(l.pos, "unknown packet %q (write-data, copy, fill, fence, nop, reads, writes, busy, label)", l.name)
	}
}

func (c *compiler) submit(l *line, a *args, b base) {
	b.client = c.client(l.pos)
	w, ok := a.pos(0, "submission name")
	o := &opSubmit{base: b, name: w.val}
	ip := gpu.IP(255)
	if cw, ok := a.key("ctx"); !ok {
		c.errf(l.pos, "submit: missing ctx=CONTEXT")
	} else if c.ref(cw, kindCtx) {
		o.ctx = cw.val
	}
	if iw, ok := a.key("ib"); !ok {
		c.errf(l.pos, "submit: missing ib=IB[,IB…]")
	} else {
		o.ibs = c.refList(iw, kindIB)
		for _, n := range o.ibs {
			d := c.names[n]
			if ip != 255 && d.ip != ip {
				c.errf(iw.pos, "submit: IBs of one submission must target one IP")
			}
			ip = d.ip
		}
	}
	if rw, ok := a.key("ring"); ok {
		v, err := parseUint(rw.val)
		if err != nil || v > 63 {
			c.errf(rw.pos, "submit: ring= must be a small ring index")
		}
		o.ring = uint32(v)
	}
	if bw, ok := a.key("bos"); ok {
		o.bos = c.refList(bw, kindBO)
		if o.bos == nil {
			o.bos = []string{}
		}
	}
	o.wait = a.names("wait", kindSyncobj)
	o.signal = a.names("signal", kindSyncobj)
	if aw, ok := a.key("after"); ok {
		for _, n := range c.refList(aw, kindJob) {
			if c.names[nameKey(n, kindJob)].ip != ip {
				c.errf(aw.pos, "submit: after=%s: a CS dependency chunk here names the same IP (use a syncobj across IPs)", n)
			}
			o.after = append(o.after, n)
		}
	}
	c.fails(a, &o.base)
	if ok {
		d := c.declare(w, kindJob)
		d.ip = ip
	}
	c.s.ops = append(c.s.ops, o)
}

func article(k declKind) string {
	switch k {
	case kindIB:
		return "an ib"
	case kindJob:
		return "a submission"
	}
	return "a " + string(k)
}

// nameKey is the key of a name in compiler.names: submissions have their
// own namespace, so an ib and the submission of it may share a name.
func nameKey(name string, k declKind) string {
	if k == kindJob {
		return "submit:" + name
	}
	return name
}
