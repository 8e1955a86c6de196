# Toyota Smarthome cross-view 2: only the 19 cross-view classes (label map 'toyota_xview'; labels remapped to its
# order), cameras as in tools/data/toyota.py's xview2_train / xview2_val splits.
_base_ = ['./toyota_xsub.py']
train_dataloader = dict(dataset=dict(split='xview2_train', class_subset='toyota_xview'))
val_dataloader = dict(dataset=dict(split='xview2_val', class_subset='toyota_xview'))
test_dataloader = dict(dataset=dict(split='xview2_val', class_subset='toyota_xview'))
