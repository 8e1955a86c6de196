"""What a result was measured on: the CPU, torch's CPU capability, threads, library versions, date."""
from __future__ import annotations

import datetime
import os
import platform
from typing import Dict


def cpu_model() -> str:
    """The CPU's model name (``/proc/cpuinfo``; ``platform.processor()`` elsewhere)."""
    try:
        with open('/proc/cpuinfo') as f:
            for line in f:
                if line.startswith('model name'):
                    return line.split(':', 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine_info() -> Dict[str, object]:
    """A record of this machine and software stack, stored with every measured result."""
    import torch
    info: Dict[str, object] = dict(
        cpu=cpu_model(), cpu_capability=torch.backends.cpu.get_cpu_capability(), cores=os.cpu_count(),
        torch_threads=torch.get_num_threads(), python=platform.python_version(), torch=torch.__version__,
        date=datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%d %H:%M UTC'))
    for name in ('transformers', 'peft', 'mmengine', 'mmaction'):
        try:
            info[name] = __import__(name).__version__
        except Exception:  # an optional package that is absent or fails to import
            info[name] = None
    if torch.cuda.is_available():
        info['gpu'] = torch.cuda.get_device_name(0)
    return info


def machine_label(info: Dict[str, object]) -> str:
    """Short form for tables: ``'AMD EPYC (AVX2, 2 threads)'``."""
    return f'{info.get("cpu")} ({info.get("cpu_capability")}, {info.get("torch_threads")} threads)'
