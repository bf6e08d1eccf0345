"""Adversarial fitting of rendering and detector parameters to real micrographs
(DiffRenderGAN): real-image loading (:mod:`.real`), the generator interface and bounded
parameter model (:mod:`.generator`), PatchGAN and DiffAugment (:mod:`.discriminator`),
the training loop (:mod:`.trainer`), the Mitsuba bridge as generator (:mod:`.bridge_gen`)
and a pure-torch stand-in for tests (:mod:`.standin`)."""
