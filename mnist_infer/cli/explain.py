"""`mnist-infer explain`: one digit's forward pass layer by layer, what the first layer looks for, which pixels
decided."""

from __future__ import annotations

from pathlib import Path

import click

from ..i18n import _
from .options import FileName, command, data_dir_option, figure_option, json_option, split_option, weights_option


@command(
    "explain",
    _(
        "Look inside a network: one digit's forward pass, layer by layer, with each step's formula, shape and values "
        "(a CNN's feature maps drawn small); with --templates, what each unit of the first layer looks for; with "
        "--why, which pixels decided (input × gradient of the top class's score minus the runner-up's)."
    ),
    _("A digit's forward pass layer by layer, the first layer's templates, which pixels decided."),
    """
mnist-infer explain 8
mnist-infer explain 8 --weights deep_convnet_params.pkl --save pass.png
mnist-infer explain --image my-digit.png --why --save why.png
mnist-infer explain --templates --save templates.png
mnist-infer explain 8 --json""",
    numbers=True,
)
@click.argument("index", type=int, required=False, metavar=_("[INDEX]"))
@click.option("--image", type=FileName(dir_okay=False), metavar=_("FILE"), help=_("A picture of yours."))
@click.option("--templates", is_flag=True, help=_("Draw the first layer's weights: what each unit looks for."))
@click.option("--why", is_flag=True, help=_("Show which pixels pushed the answer (a saliency map)."))
@split_option
@weights_option
@figure_option()
@data_dir_option
@json_option
def explain(
    index: int | None,
    image: Path | None,
    templates: bool,
    why: bool,
    split: str,
    weights: Path | None,
    save: Path | None,
    data_dir: Path | None,
    as_json: bool,
) -> None:
    digit = index is not None or image is not None
    if templates == digit or (index is not None and image is not None) or (templates and why):
        raise click.UsageError(_("give INDEX or --image FILE (with --why or not), or --templates alone"))
    from .. import inference
    from ..views import emit
    from ..weights import load_network, resolve

    path = resolve(weights, data_dir)
    network = load_network(path)
    if templates:
        result = inference.templates(network, path)
    else:
        if image is not None:
            from ..data.pictures import prepare_image

            pixels, source, label = prepare_image(image).pixels, str(image), None
        else:
            from ..data.mnist import load_split

            dataset = load_split(split, data_dir)
            index = dataset.check_index(index)
            pixels, source, label = dataset.images[index], f"{split}[{index}]", int(dataset.labels[index])
        result = (inference.why if why else inference.explain)(network, pixels, source, label)
    emit(result, as_json, save=save)
