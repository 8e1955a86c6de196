"""The main job: SUGAR end to end on MSR Action3D with the embedded small models, on CPU.

    python tools/main_job.py [--quick] [--raw ../shared/data/msr_action3d] [--work-root work_dirs] [--force]

Data preparation, stage 1 (configs/sugar/stage1/ctrgcn-b32-knowledge_30e_msr3d-xsub.py), stage 2
(configs/sugar/stage2/linear_smollm2-135m-lora-r16_10w2e_msr3d-xsub.py) and test, each the command a user would
type, then top-1/top-5 and a few generated answers; ``--quick`` runs the shortened configs. The pipeline and its
reuse of finished stages are :mod:`sugar_mm.apis.main_job` (its docstring has the details); this script is its
command line.
"""
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

from sugar_mm.apis.main_job import main  # noqa: E402

if __name__ == '__main__':
    main()
