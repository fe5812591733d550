/**
 * The Python half of the Pyodide worker, run once per interpreter at start-up. It defines `__sy_run(code, input_json)`,
 * which runs one Code step Zapier-style and returns `status\nlogs_json\npayload` (status: ok | exception | output |
 * memory | timeout | recycle-timeout; payload: the output JSON, or the error message).
 *
 * - The code is the body of `def __sy_main(input_data)`; it is wrapped through the AST, so line numbers in messages are
 *   the user's own. `return {...}` or an assigned `output = {...}` is the result: a dict or a list of dicts.
 * - Each run gets a fresh globals dict with its own copy of the builtins (an `__import__` that refuses `js`,
 *   `pyodide*`, `ctypes`); `print` goes to a capped log.
 * - An audit hook (which Python code cannot remove) refuses sockets, process spawning, `os.system`, ctypes, the
 *   garbage collector's object walks, tracing and imports of the refused modules.
 * - After each run the state user code could leave behind is put back: builtins, the modules it imported (and the
 *   modules reachable from them), modules it added, os.environ, cwd, sys.path / meta_path, the recursion limit.
 */
export interface HarnessLimits {
  maxOutputChars: number;
  maxLogChars: number;
  maxLogLines: number;
}

export function pythonHarness(limits: HarnessLimits): string {
  return String.raw`
import builtins
__builtins__ = dict(builtins.__dict__)  # the harness's own builtins: user code patching the module cannot break it
import ast, gc, json, os, sys, types, warnings
sys.dont_write_bytecode = True
_MISSING = object()
_FILENAME = '<code>'
_MAX_CACHED_CODE = 100_000
_MAX_OUTPUT = ${limits.maxOutputChars}
_MAX_LOG = ${limits.maxLogChars}
_MAX_LINES = ${limits.maxLogLines}
_BLOCKED = frozenset({'js', 'pyodide_js', 'pyodide', '_pyodide', '_pyodide_core', 'micropip', 'ctypes', '_ctypes',
                      'pyodide_http', 'pyodide_kernel', 'pyodide_webloop', 'pyodide_js_errors'})
_NET = ('socket.', 'urllib.Request', 'http.client.', 'ftplib.', 'smtplib.', 'imaplib.', 'poplib.', 'nntplib.',
        'telnetlib.', 'webbrowser.')
_PROC = ('os.system', 'os.exec', 'os.spawn', 'os.posix_spawn', 'os.fork', 'os.kill', 'os.startfile', 'subprocess.',
         'pty.')
_OTHER = ('ctypes.', 'gc.get_objects', 'gc.get_referrers', 'gc.get_referents', 'sys.settrace', 'sys.setprofile',
          'sys._current_frames', 'sys.remote_exec', 'cpython.remote_debugger')

def _make_audit(net, proc, other, blocked, PermissionError=PermissionError, ModuleNotFoundError=ModuleNotFoundError,
                str=str):
    def _audit(event, args):
        if event.startswith(net):
            raise PermissionError('network access is disabled in the sandbox (%s)' % event)
        if event.startswith(proc):
            raise PermissionError('starting processes is disabled in the sandbox (%s)' % event)
        if event.startswith(other):
            raise PermissionError('%s is disabled in the sandbox' % event)
        if event == 'import' and str(args[0]).partition('.')[0] in blocked:
            raise ModuleNotFoundError("No module named '%s' (not available in the sandbox)" % args[0])
        if event == 'object.__setattr__' and args[0] is _audit:
            raise PermissionError('the sandbox audit hook cannot be changed')
        if event == 'sys.addaudithook':  # a RuntimeError makes Python skip the new hook
            raise RuntimeError('audit hooks cannot be added in the sandbox')
    return _audit

class _Refuse:
    def find_spec(self, name, path=None, target=None):
        if name.partition('.')[0] in _BLOCKED:
            raise ModuleNotFoundError("No module named '%s' (not available in the sandbox)" % name)
        return None

for _k in [k for k in sys.modules if k.partition('.')[0] in _BLOCKED]:
    del sys.modules[_k]
sys.meta_path.insert(0, _Refuse())
sys.addaudithook(_make_audit(_NET, _PROC, _OTHER, _BLOCKED))
del _make_audit

import hmac, hashlib, base64, binascii, datetime, _strptime, time, calendar, re, math, cmath, random, secrets, string
import textwrap, collections, collections.abc, itertools, functools, operator, copy, decimal, fractions, statistics
import uuid, urllib.parse, html, csv, io, struct, zlib, unicodedata, difflib, email.utils, typing, dataclasses, enum
import ipaddress, zoneinfo, traceback, pprint, bisect, heapq, locale, logging
datetime.datetime.strptime('2024-01-01', '%Y-%m-%d')

os.environ.clear()
os.environ.update({'HOME': '/home/pyodide', 'LANG': 'C.UTF-8', 'PATH': '/usr/bin:/bin', 'USER': 'sandbox'})
os.chdir('/home/pyodide')
_ENV = dict(os.environ)
_CWD = os.getcwd()
_PATH, _META, _HOOKS = list(sys.path), list(sys.meta_path), list(sys.path_hooks)
_RECURSION = sys.getrecursionlimit()
_WARNINGS = list(warnings.filters)
_OUT, _ERR = sys.stdout, sys.stderr
_MODS = {k: m for k, m in sys.modules.items() if isinstance(m, types.ModuleType) and k != '__main__'}
_SNAP = {k: dict(m.__dict__) for k, m in _MODS.items()}
_EDGES = {k: {v.__name__ for v in s.values() if isinstance(v, types.ModuleType) and v.__name__ in _MODS}
             | {n for n in _MODS if n.startswith(k + '.')} for k, s in _SNAP.items()}
_WIDE = frozenset({'sys', 'builtins', 'importlib', 'gc', 'inspect', 'types', '_imp', 'marshal', 'pickle', 'copyreg'})
_CLOSURES = {}
_touched = set()
_real_import = builtins.__import__
from operator import is_ as _is
_COMPILED = {}

def _guarded_import(name, globals=None, locals=None, fromlist=(), level=0):
    if level == 0:
        root = name.partition('.')[0]
        if root in _BLOCKED:
            raise ModuleNotFoundError("No module named '%s' (not available in the sandbox)" % name, name=name)
        _touched.add(root)
    return _real_import(name, globals, locals, fromlist, level)

_UB = dict(builtins.__dict__)
_UB['__import__'] = _guarded_import
for _k in ('breakpoint', 'help', 'input', 'copyright', 'credits', 'license'):
    _UB.pop(_k, None)

def _closure(roots):
    key = frozenset(roots)
    got = _CLOSURES.get(key)
    if got is None:
        got, stack = set(), list(roots) + ['builtins']
        while stack:
            n = stack.pop()
            if n in got or n not in _EDGES:
                continue
            got.add(n)
            stack.extend(_EDGES[n])
        if len(_CLOSURES) > 256:
            _CLOSURES.clear()
        _CLOSURES[key] = got = tuple(got)
    return got

def _restore():
    names = _MODS.keys() if (_touched & _WIDE or not _touched <= _MODS.keys()) else _closure(_touched)
    for name in names:
        m = _MODS[name]
        if sys.modules.get(name) is not m:
            sys.modules[name] = m
        d, s = m.__dict__, _SNAP[name]
        # Same keys and values, by identity, in the same order (all in C: an __eq__ of user objects is never asked).
        if len(d) != len(s) or not (all(map(_is, d, s)) and all(map(_is, d.values(), s.values()))):
            d.clear()
            d.update(s)
    for k in sys.modules.keys() - _MODS.keys():
        del sys.modules[k]
    sys.path[:], sys.meta_path[:], sys.path_hooks[:] = _PATH, _META, _HOOKS
    if dict(os.environ) != _ENV:
        os.environ.clear()
        os.environ.update(_ENV)
    if os.getcwd() != _CWD:
        os.chdir(_CWD)
    if sys.getrecursionlimit() != _RECURSION:
        sys.setrecursionlimit(_RECURSION)
    if warnings.filters != _WARNINGS:
        warnings.filters[:] = _WARNINGS
        getattr(warnings, '_filters_mutated', lambda: None)()
    if not gc.isenabled():
        gc.enable()
    sys.stdout, sys.stderr = _OUT, _ERR

class _Log:
    encoding, errors = 'utf-8', 'strict'
    def __init__(self):
        self.parts, self.size, self.cut = [], 0, False
    def write(self, s):
        if not isinstance(s, str):
            raise TypeError('write() argument must be str, not %s' % type(s).__name__)
        room = _MAX_LOG - self.size
        if len(s) > room:
            self.cut = True
            s = s[:max(room, 0)]
        if s:
            self.parts.append(s)
            self.size += len(s)
        return len(s)
    def writelines(self, lines):
        for line in lines:
            self.write(line)
    def flush(self):
        pass
    def isatty(self):
        return False
    def lines(self):
        text = ''.join(self.parts)
        out = text.split('\n')
        if out and out[-1] == '':
            out.pop()
        if len(out) > _MAX_LINES:
            out, self.cut = out[:_MAX_LINES], True
        if self.cut:
            out.append('[log truncated]')
        return out

_FALLBACK = ast.parse('try:\n    return output\nexcept NameError:\n    return None\n').body

def _wrap(tree):
    args = ast.arguments(posonlyargs=[], args=[ast.arg(arg='input_data')], vararg=None, kwonlyargs=[],
                         kw_defaults=[], kwarg=None, defaults=[])
    fn = ast.FunctionDef(name='__sy_main', args=args, body=list(tree.body) + _FALLBACK, decorator_list=[],
                         returns=None, type_params=[], lineno=1, col_offset=0)
    return ast.fix_missing_locations(ast.Module(body=[fn], type_ignores=[]))

def _text(e):
    try:
        s = str(e)
    except BaseException:
        s = '<unprintable %s>' % type(e).__name__
    return s if len(s) <= 2000 else s[:2000] + '...'

def _exc_message(e):
    line, tb = None, e.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == _FILENAME:
            line = tb.tb_lineno
        tb = tb.tb_next
    where = ' on line %d' % line if line else ''
    text = _text(e)
    return '%s%s: %s' % (type(e).__name__, where, text) if text else type(e).__name__ + where

def _syntax_message(e):
    where = ' on line %d' % e.lineno if getattr(e, 'lineno', None) else ''
    return '%s%s: %s' % (type(e).__name__, where, getattr(e, 'msg', None) or _text(e))

def _serialize(result):
    if result is None:
        return 'output', 'the code returned nothing: end it with return {...} (a dict, or a list of dicts) or assign output = {...}'
    if isinstance(result, (list, tuple)):
        for i, item in enumerate(result):
            if not isinstance(item, dict):
                return 'output', 'the code returned a list whose item %d is a %s, not a dict' % (i, type(item).__name__)
    elif not isinstance(result, dict):
        return 'output', 'the code must return a dict or a list of dicts, not %s' % type(result).__name__
    try:
        text = json.dumps(result, ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError, RecursionError) as e:
        notes = '; '.join(getattr(e, '__notes__', ()))
        return 'output', 'the returned value is not JSON-serializable: %s%s' % (_text(e), ' (%s)' % notes if notes else '')
    if len(text) > _MAX_OUTPUT:
        return 'output', 'the returned value is %d characters of JSON, more than the %d allowed' % (len(text), _MAX_OUTPUT)
    return 'ok', text

def _execute(code, input_json, log):
    # Code objects are immutable, so the compiled step is kept (keyed by its exact text) and only the parse and
    # compile are skipped: every run still gets fresh globals, builtins and function objects.
    compiled = _COMPILED.get(code) if type(code) is str else None
    if compiled is None:
        try:
            compiled = compile(_wrap(ast.parse(code, filename=_FILENAME)), _FILENAME, 'exec')
        except SyntaxError as e:
            return 'exception', _syntax_message(e)
        except (ValueError, RecursionError, MemoryError) as e:
            return 'exception', '%s: %s' % (type(e).__name__, _text(e))
        if len(code) <= _MAX_CACHED_CODE:
            if len(_COMPILED) >= 64:
                _COMPILED.clear()
            _COMPILED[code] = compiled
    g = {'__builtins__': dict(_UB), '__name__': '__main__', '__doc__': None}
    input_data = json.loads(input_json)
    sys.stdout = sys.stderr = log
    try:
        exec(compiled, g)
        result = g['__sy_main'](input_data)
    except KeyboardInterrupt:
        return 'timeout', 'interrupted'
    except MemoryError as e:
        return 'memory', _exc_message(e)
    except BaseException as e:
        return 'exception', _exc_message(e)
    finally:
        sys.stdout, sys.stderr = _OUT, _ERR
    try:
        return _serialize(result)
    except MemoryError as e:
        return 'memory', _exc_message(e)

def __sy_run(code, input_json):
    log = _Log()
    _touched.clear()
    try:
        try:
            status, payload = _execute(code, input_json, log)
        finally:
            _restore()
    except KeyboardInterrupt:
        status, payload = 'recycle-timeout', 'interrupted outside the code'
    return '%s\n%s\n%s' % (status, json.dumps(log.lines()), payload)
`;
}
