from .answer_loss import AnswerLoss
from .mil_nce import mil_nce_loss
from .name_alignment_loss import NameAlignmentLoss

__all__ = ['AnswerLoss', 'NameAlignmentLoss', 'mil_nce_loss']
