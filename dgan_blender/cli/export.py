"""Export a rendered data set to other tools' layouts."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(help=__doc__, no_args_is_help=True)


@app.command("nnunet")
def nnunet(
    data: Annotated[Path, typer.Argument(help="A data set written by 'dgan render'.")],
    out: Annotated[Path, typer.Option(help="nnU-Net raw folder (nnUNet_raw).")] = Path("nnUNet_raw"),
    dataset_id: Annotated[int, typer.Option(help="nnU-Net data set id (1..999).")] = 501,
    name: Annotated[str, typer.Option(help="Data set name.")] = "TiO2SEM",
) -> None:
    """Writes DatasetXXX_NAME/imagesTr, labelsTr and dataset.json (nnU-Net v2)."""
    from ..dataset.nnunet import export_nnunet

    print(export_nnunet(data, out, dataset_id, name))
