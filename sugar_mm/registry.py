"""sugar_mm's registry nodes: one child of each of mmaction's registries, in the ``sugar_mm`` scope.

mmaction builds its registry tree over MMEngine's (``Registry('model', parent=MMENGINE_MODELS, ...)``); sugar_mm
adds one level below mmaction's, the same way. More details on the lookup rules at
https://mmengine.readthedocs.io/en/latest/advanced_tutorials/registry.html.

How names resolve:

* A child is searched first, then its parents: with ``default_scope='sugar_mm'`` (every sugar_mm config) an
  unprefixed ``type`` finds sugar_mm's components and, failing that, mmaction's and MMEngine's. mmaction's own
  internal ``MODELS.build(...)`` calls (a recognizer building its backbone, a head its loss) resolve through
  the default scope too, so a tree mixing both libraries builds from one config.
* A parent never searches its children: with ``default_scope='mmaction'`` sugar_mm's components need their
  scope, ``type='sugar_mm.LLMHead'`` (and ``_scope_='sugar_mm'`` on a component that builds sugar_mm parts
  inside itself, as MMEngine documents for cross-library builds).
* Where both libraries register a name (mmaction's ``projects/ctrgcn`` and sugar_mm both have a ``CTRGCN``),
  the default scope decides, and ``mmaction.CTRGCN`` / ``sugar_mm.CTRGCN`` name either explicitly.

``locations`` lists what a lookup imports on first use. A child's lookup falls back to its parent's dict
without running the parent's lazy imports, so each node also lists its mmaction parent's locations (mmaction's
parents, MMEngine's, register eagerly and need none): ``type='ActionVisualizer'`` resolves under the
``sugar_mm`` scope even when nothing imported ``mmaction.visualization`` yet.
"""
from mmaction.registry import DATA_SAMPLERS as MMACTION_DATA_SAMPLERS
from mmaction.registry import DATASETS as MMACTION_DATASETS
from mmaction.registry import EVALUATOR as MMACTION_EVALUATOR
from mmaction.registry import FUNCTION as MMACTION_FUNCTION
from mmaction.registry import HOOKS as MMACTION_HOOKS
from mmaction.registry import INFERENCERS as MMACTION_INFERENCERS
from mmaction.registry import LOG_PROCESSORS as MMACTION_LOG_PROCESSORS
from mmaction.registry import LOOPS as MMACTION_LOOPS
from mmaction.registry import METRICS as MMACTION_METRICS
from mmaction.registry import MODEL_WRAPPERS as MMACTION_MODEL_WRAPPERS
from mmaction.registry import MODELS as MMACTION_MODELS
from mmaction.registry import OPTIM_WRAPPER_CONSTRUCTORS as MMACTION_OPTIM_WRAPPER_CONSTRUCTORS
from mmaction.registry import OPTIM_WRAPPERS as MMACTION_OPTIM_WRAPPERS
from mmaction.registry import OPTIMIZERS as MMACTION_OPTIMIZERS
from mmaction.registry import PARAM_SCHEDULERS as MMACTION_PARAM_SCHEDULERS
from mmaction.registry import RUNNER_CONSTRUCTORS as MMACTION_RUNNER_CONSTRUCTORS
from mmaction.registry import RUNNERS as MMACTION_RUNNERS
from mmaction.registry import TASK_UTILS as MMACTION_TASK_UTILS
from mmaction.registry import TOKENIZER as MMACTION_TOKENIZER
from mmaction.registry import TRANSFORMS as MMACTION_TRANSFORMS
from mmaction.registry import VISBACKENDS as MMACTION_VISBACKENDS
from mmaction.registry import VISUALIZERS as MMACTION_VISUALIZERS
from mmaction.registry import WEIGHT_INITIALIZERS as MMACTION_WEIGHT_INITIALIZERS
from mmengine.registry import Registry

#: The scope of every node below (``type='sugar_mm.X'``, ``default_scope='sugar_mm'``).
SCOPE = 'sugar_mm'

# runners, runner constructors, loops and hooks (sugar_mm's hooks: ExportEncoderHook, BridgeWarmupHook, ...)
RUNNERS = Registry('runner', parent=MMACTION_RUNNERS, scope=SCOPE, locations=['mmaction.engine.runner'])
RUNNER_CONSTRUCTORS = Registry('runner constructor', parent=MMACTION_RUNNER_CONSTRUCTORS, scope=SCOPE,
                               locations=['mmaction.engine.runner'])
LOOPS = Registry('loop', parent=MMACTION_LOOPS, scope=SCOPE, locations=['mmaction.engine.runner'])
HOOKS = Registry('hook', parent=MMACTION_HOOKS, scope=SCOPE, locations=['mmaction.engine.hooks', 'sugar_mm.engine'])

# data: SkeletonDataset, the 3D skeleton transforms
DATASETS = Registry('dataset', parent=MMACTION_DATASETS, scope=SCOPE,
                    locations=['mmaction.datasets', 'sugar_mm.datasets'])
DATA_SAMPLERS = Registry('data sampler', parent=MMACTION_DATA_SAMPLERS, scope=SCOPE, locations=['mmaction.datasets'])
TRANSFORMS = Registry('transform', parent=MMACTION_TRANSFORMS, scope=SCOPE,
                      locations=['mmaction.datasets.transforms', 'sugar_mm.datasets.transforms'])

# every nn.Module: backbones, necks, bridges, heads, recognizers, text encoders
MODELS = Registry('model', parent=MMACTION_MODELS, scope=SCOPE,
                  locations=['mmaction.models', 'sugar_mm.models', 'sugar_mm.knowledge.text_encoders'])
MODEL_WRAPPERS = Registry('model_wrapper', parent=MMACTION_MODEL_WRAPPERS, scope=SCOPE, locations=['mmaction.models'])
WEIGHT_INITIALIZERS = Registry('weight initializer', parent=MMACTION_WEIGHT_INITIALIZERS, scope=SCOPE,
                               locations=['mmaction.models'])

# optimization
OPTIMIZERS = Registry('optimizer', parent=MMACTION_OPTIMIZERS, scope=SCOPE, locations=['mmaction.engine.optimizers'])
OPTIM_WRAPPERS = Registry('optim_wrapper', parent=MMACTION_OPTIM_WRAPPERS, scope=SCOPE,
                          locations=['mmaction.engine.optimizers'])
OPTIM_WRAPPER_CONSTRUCTORS = Registry('optimizer wrapper constructor', parent=MMACTION_OPTIM_WRAPPER_CONSTRUCTORS,
                                      scope=SCOPE, locations=['mmaction.engine.optimizers'])
PARAM_SCHEDULERS = Registry('parameter scheduler', parent=MMACTION_PARAM_SCHEDULERS, scope=SCOPE,
                            locations=['mmaction.engine'])

# evaluation: LLMRecognitionMetric, ZeroShotMetric
METRICS = Registry('metric', parent=MMACTION_METRICS, scope=SCOPE,
                   locations=['mmaction.evaluation', 'sugar_mm.evaluation'])
EVALUATOR = Registry('evaluator', parent=MMACTION_EVALUATOR, scope=SCOPE, locations=['mmaction.evaluation'])

TASK_UTILS = Registry('task util', parent=MMACTION_TASK_UTILS, scope=SCOPE, locations=['mmaction.models'])

# visualization and logging
VISUALIZERS = Registry('visualizer', parent=MMACTION_VISUALIZERS, scope=SCOPE, locations=['mmaction.visualization'])
VISBACKENDS = Registry('vis_backend', parent=MMACTION_VISBACKENDS, scope=SCOPE, locations=['mmaction.visualization'])
LOG_PROCESSORS = Registry('log_processor', parent=MMACTION_LOG_PROCESSORS, scope=SCOPE, locations=['mmaction.engine'])

INFERENCERS = Registry('inferencer', parent=MMACTION_INFERENCERS, scope=SCOPE,
                       locations=['mmaction.apis.inferencers'])
# (mmaction 1.2.0's FUNCTION node names a module that does not exist, 'mmaction.mmengine': nothing to import)
FUNCTION = Registry('function', parent=MMACTION_FUNCTION, scope=SCOPE)
TOKENIZER = Registry('tokenizer', parent=MMACTION_TOKENIZER, scope=SCOPE, locations=['mmaction.models'])
