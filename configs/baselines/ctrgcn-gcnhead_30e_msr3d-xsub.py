# CTR-GCN (sugar_mm's registered implementation) with mmaction's RecognizerGCN + GCNHead (a linear classifier)
# on MSR Action3D X-Sub: the same pipeline and schedule as the ST-GCN baseline, only the backbone differs.
_base_ = ['./stgcn-gcnhead_30e_msr3d-xsub.py']

# (`_scope_`: the model dicts inherited from mmaction's ST-GCN config carry `_scope_='mmaction'`, under which
# sugar_mm's CTRGCN is not found; sugar_mm's scope finds it and mmaction's RecognizerGCN / GCNHead)
model = dict(
    _scope_='sugar_mm',
    backbone=dict(_delete_=True, type='CTRGCN', graph_cfg=dict(layout='kinect_v1', mode='spatial'), num_person=1),
    cls_head=dict(in_channels=256))
