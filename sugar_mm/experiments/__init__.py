"""Multi-seed experiments: run rows per seed, keep every value with its machine, report mean ± std."""
from .machine import cpu_model, machine_info, machine_label
from .report import markdown_table, metafile, per_seed_lines
from .runner import Row, SeedRunner, merge_records, parse_test_metrics, table_record
from .stats import SeedStats, compare, metric_values

__all__ = ['cpu_model', 'machine_info', 'machine_label', 'markdown_table', 'metafile', 'per_seed_lines', 'Row',
           'SeedRunner', 'merge_records', 'parse_test_metrics', 'table_record', 'SeedStats', 'compare',
           'metric_values']
