# The bridge screen (tqp-k8-bridge-only_10e_msr3d-xsub.py) with the linear bridge of
# linear_smollm2-135m-lora-r16_10w2e_msr3d-xsub.py: every time step becomes one LLM token through one linear layer,
# so the alignment classifier (mean token vs the names) is a linear readout of the time-pooled features -- the
# analogue of the stage-1 head and of a linear probe, against which the TQP's alignment accuracy is read.
_base_ = ['./tqp-k8-bridge-only_10e_msr3d-xsub.py']

model = dict(cls_head=dict(bridge=dict(_delete_=True, type='linear')))
optim_wrapper = dict(paramwise_cfg=dict(custom_keys={'cls_head.bridge': dict(lr_mult=1.0)}))
