from .inference import extract_features, inference_batch, inference_recognizer, init_recognizer, keypoints_to_sample

__all__ = ['init_recognizer', 'inference_recognizer', 'inference_batch', 'extract_features', 'keypoints_to_sample']
