from .sugar_recognizer import SugarRecognizer

__all__ = ['SugarRecognizer']
