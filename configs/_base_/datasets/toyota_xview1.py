# Toyota Smarthome cross-view 1: the 19 cross-view classes only (labels remapped to their order), cameras as in
# tools/data/toyota.py's xview1_train / xview1_val splits.
_base_ = ['./toyota_xsub.py']
xview_classes = [
    'Cutbread', 'Drink.Frombottle', 'Drink.Fromcan', 'Drink.Fromcup', 'Drink.Fromglass', 'Eat.Attable', 'Eat.Snack',
    'Enter', 'Getup', 'Leave', 'Pour.Frombottle', 'Pour.Fromcan', 'Readbook', 'Sitdown', 'Takepills', 'Uselaptop',
    'Usetablet', 'Usetelephone', 'Walk'
]
train_dataloader = dict(dataset=dict(split='xview1_train', class_subset=xview_classes))
val_dataloader = dict(dataset=dict(split='xview1_val', class_subset=xview_classes))
test_dataloader = dict(dataset=dict(split='xview1_val', class_subset=xview_classes))
