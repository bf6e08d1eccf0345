import numpy as np

from dgan_blender.annotate import BOUNDARY, PARTICLE, contact_sheet, contact_widened, preview, semantic_mask


def test_semantic_mask_classes():
    inst = np.zeros((7, 9), np.uint16)
    inst[1:6, 1:4] = 1
    inst[1:6, 4:7] = 2  # touching particle
    sem = semantic_mask(inst)
    assert sem[0, 0] == 0
    assert sem[3, 2] == PARTICLE  # interior of 1
    assert sem[3, 1] == BOUNDARY  # next to background
    assert sem[3, 3] == BOUNDARY and sem[3, 4] == BOUNDARY  # contact between 1 and 2
    assert sem[3, 5] == PARTICLE
    assert set(np.unique(sem)) == {0, 1, 2}


def test_contact_lines_widen_and_edges_against_the_background_stay_one_pixel():
    inst = np.zeros((12, 20), np.uint16)
    inst[2:10, 2:10] = 1
    inst[2:10, 10:18] = 2  # touching 1 along column 9|10
    sem = semantic_mask(inst)
    assert contact_widened(inst, sem, 1) is sem
    wide = contact_widened(inst, sem, 3)
    row = wide[5]
    assert (row[7:13] == BOUNDARY).all()  # 3 px on each side of the contact
    assert row[6] == PARTICLE and row[13] == PARTICLE
    assert row[2] == BOUNDARY and row[3] == PARTICLE  # the outer edge: still one pixel
    assert (wide[inst == 0] == 0).all()  # the background is untouched
    assert ((wide != sem) <= (wide == BOUNDARY)).all()  # it only ever adds boundary


def test_image_border_is_not_a_boundary():
    inst = np.ones((5, 5), np.uint16)
    assert (semantic_mask(inst) == PARTICLE).all()


def test_preview_and_sheet_shapes():
    inst = np.zeros((16, 16), np.uint16)
    inst[4:10, 4:10] = 3
    img = np.full((16, 16), 100, np.uint8)
    rgb = preview(img, inst)
    assert rgb.shape == (16, 16, 3)
    assert (rgb[4, 5] != 100).any() and (rgb[7, 7] == 100).all()
    sheet = contact_sheet([rgb] * 5, columns=4, pad=2)
    assert sheet.shape == (2 * 18 + 2, 4 * 18 + 2, 3)
