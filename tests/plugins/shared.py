"""What every app of a run shares, so that making one costs little: each test makes its own
app (``create_app``), and most of that cost is compiling what is the same for all of them.

- Jinja compiles each template once per environment, and each app has its own: the compiled
  code is kept in memory, keyed by the template's name and source (a public interface,
  ``BytecodeCache``).
- Werkzeug compiles two URL builders for each rule of each app's map, as Python source it
  generates and compiles (``Rule._compile_builder``, a private method): most of what
  ``create_app`` costs. A builder is a function of the rule's text, its parts and its
  defaults, which takes the rule itself as its first argument; one builder serves each app's
  copy of a rule (``tests/test_suite_rules.py`` holds it to that).
"""

from flask import Flask
from jinja2 import BytecodeCache
from werkzeug.routing import Rule


class SharedBytecode(BytecodeCache):
    """Compiled templates, kept in memory for every app of the run; a bucket is keyed by the
    template's name and source, so an app never gets another source's code."""

    def __init__(self):
        self.codes = {}

    def load_bytecode(self, bucket):
        if bucket.key in self.codes:
            bucket.bytecode_from_string(self.codes[bucket.key])

    def dump_bytecode(self, bucket):
        self.codes[bucket.key] = bucket.bytecode_to_string()


_shared_bytecode = SharedBytecode()
_create_jinja_environment = Flask.create_jinja_environment


def _create_with_shared_bytecode(self):
    environment = _create_jinja_environment(self)
    environment.bytecode_cache = _shared_bytecode
    return environment


# Compiled builders: {(the rule's text, its parts, its defaults, append_unknown): builder}.
_builders = {}
_compile_builder = Rule._compile_builder


def builder_key(rule, append_unknown):
    defaults = tuple(sorted((name, repr(value)) for name, value in (rule.defaults or {}).items()))
    return (rule.rule, tuple(rule._trace), defaults, append_unknown)


def _shared_builder(self, append_unknown=True):
    key = builder_key(self, append_unknown)
    if key not in _builders:
        _builders[key] = _compile_builder(self, append_unknown)
    return _builders[key]


Flask.create_jinja_environment = _create_with_shared_bytecode
Rule._compile_builder = _shared_builder
