"""sugar_mm: SUGAR (skeleton action recognition with an LLM recognizer) as an MMAction2 plugin."""
import os.path as osp

from setuptools import find_packages, setup


def read_requirements(name):
    path = osp.join(osp.dirname(__file__), 'requirements', name)
    with open(path) as f:
        return [line.split('#')[0].strip() for line in f if line.split('#')[0].strip()]


def get_version():
    scope = {}
    with open(osp.join(osp.dirname(__file__), 'sugar_mm', 'version.py')) as f:
        exec(f.read(), scope)
    return scope['__version__']


setup(
    name='sugar_mm',
    version=get_version(),
    description='SUGAR: skeleton action recognition with an LLM recognizer, as an MMAction2 plugin',
    long_description=open(osp.join(osp.dirname(__file__), 'README.md')).read(),
    long_description_content_type='text/markdown',
    license='Apache-2.0',
    python_requires='>=3.9',
    packages=find_packages(exclude=('tests', 'tests.*', 'configs', 'tools')),
    include_package_data=True,
    package_data={'sugar_mm': ['knowledge/data/*.json', 'knowledge/data/*.txt', 'datasets/meta/*']},
    # Runtime pins live in requirements/; `pip install -e .` alone never pulls torch (see tools/setup_env.sh).
    install_requires=[],
    extras_require={'tests': read_requirements('tests.txt')},
    zip_safe=False,
)
