"""Shared pieces of the knowledge-generation tests: class names, the tools loader, a recording LM wrapper."""
import importlib.util
import os.path as osp
import re

from tests.conftest import REPO

NAMES = ['high arm wave', 'hand clap', 'forward kick', 'side boxing']


def load_tool(name):
    spec = importlib.util.spec_from_file_location(f'knowledge_{name}',
                                                  osp.join(REPO, 'tools', 'knowledge', f'{name}.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def class_of(prompt):
    """The class a motion or brief prompt asks about."""
    return re.search(r"(?:when|action) '([^']+)'", prompt).group(1)


class Recorder:
    """Wraps an LM: records (class, sample, seed) of each call; raises when asked about ``fail_on``."""

    def __init__(self, lm, fail_on=None):
        self.lm, self.fail_on, self.calls = lm, fail_on, []
        self.name = getattr(lm, 'name', 'scripted')

    def __call__(self, prompt, sample=False, seed=0, max_new_tokens=None):
        name = class_of(prompt)
        if name == self.fail_on:
            raise RuntimeError(f'interrupted at {name}')
        self.calls.append((name, sample, seed))
        return self.lm(prompt, sample=sample, seed=seed, max_new_tokens=max_new_tokens)
