"""``kefu model train|backtest|promote|list|retrain``: the screening model lane from the command line.

Training on a file (``kefu sim payments`` or ``kefu labels export`` output) runs here and stores the result
through the bus (``StoreModel``) as a shadow, or writes it to ``--out``; ``--from db`` retrains on labelled
history through ``RetrainModel``. Promotion is ``PromoteModel``. Every state change is a command.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from kefu.bootstrap import Kefu
from kefu.domain.errors import InvalidInput, NotFound
from kefu.domain.users import SYSTEM_ACTOR
from kefu.entrypoints.cli_run import command_settings as _settings
from kefu.entrypoints.cli_run import run_work as _run
from kefu.screening.model import ScoringModel
from kefu.screening.model_records import PromoteModel, RetrainModel, StoredModel, StoreModel

model_app = typer.Typer(
    help="The screening model lane: train, backtest, promote, list.", no_args_is_help=True
)


def _labelled(path: Path) -> list[Any]:
    from kefu.screening.model_train import parse_labelled  # noqa: PLC0415 - scikit-learn only to train

    out = []
    try:
        with path.open(encoding="utf-8") as f:
            for n, line in enumerate(f, start=1):
                if not line.strip():
                    continue
                try:
                    out.append(parse_labelled(json.loads(line)))
                except json.JSONDecodeError as exc:
                    raise InvalidInput(f"{path}:{n}: not JSON: {exc.msg}") from exc
                except (AttributeError, TypeError) as exc:
                    raise InvalidInput(f"{path}:{n}: not a labelled payment record") from exc
    except OSError as exc:
        raise InvalidInput(f"cannot read {str(path)!r}: {exc.strerror or exc}") from exc
    return out


def _echo(data: Any) -> None:
    print(json.dumps(data, ensure_ascii=False, indent=2))  # noqa: T201 - the figures are the output


@model_app.command("train")
def model_train(
    ctx: typer.Context,
    source: Annotated[str, typer.Option("--from", help="db (labelled history) or a JSONL file.")],
    out: Annotated[Path | None, typer.Option(help="Write the model here instead of storing it.")] = None,
    version: Annotated[str | None, typer.Option(help="The model's version (default: from the time).")] = None,
    seed: int = 0,
    weight: Annotated[
        int, typer.Option(min=0, max=400, help="Points per unit of probability (default 200).")
    ] = 200,
) -> None:
    """Train a model and store it as a shadow version (or write it to --out)."""
    from kefu.domain.clock import SystemClock  # noqa: PLC0415

    settings = _settings(ctx)
    name = version or f"m-{SystemClock().now():%Y%m%dT%H%M%S}"
    if source == "db":
        if out is not None:
            raise InvalidInput("--out applies to training on a file; --from db stores a shadow")
        stored = _run(settings, lambda k: k.bus.handle(RetrainModel(version), SYSTEM_ACTOR))
        _echo({**stored.summary(), "backtest": stored.backtest})
        return
    from kefu.screening.model_train import train  # noqa: PLC0415

    model = train(_labelled(Path(source)), name, seed, weight=weight)
    if out is not None:
        try:
            out.write_text(json.dumps(model.to_dict()), encoding="utf-8")
        except OSError as exc:
            raise InvalidInput(f"cannot write {str(out)!r}: {exc.strerror or exc}") from exc
        print(f"wrote model {model.version} ({len(model.trees)} trees) to {out}")  # noqa: T201
        return
    stored = _run(settings, lambda k: k.bus.handle(StoreModel(model.to_dict()), SYSTEM_ACTOR))
    print(f"stored model {stored.version} as shadow; promote it with `kefu model promote`")  # noqa: T201


async def _stored(kefu: Kefu, version: str | None) -> ScoringModel | None:
    from kefu.services.screening.model import list_models  # noqa: PLC0415

    models = await list_models(kefu.bus.context(SYSTEM_ACTOR))
    if version is None:
        chosen = next((m for m in models if m.status == "live"), None)
    else:
        chosen = next((m for m in models if m.version == version), None)
        if chosen is None:
            raise NotFound("model", version)
    return None if chosen is None else ScoringModel.from_dict(chosen.params)


@model_app.command("backtest")
def model_backtest(
    ctx: typer.Context,
    data: Annotated[Path, typer.Option(help="Labelled payments (JSONL), e.g. another seed's.")],
    model: Annotated[
        str | None, typer.Option(help="A model file or a stored version (default: the live model).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """Rules alone, model alone and both on labelled payments: stops by count and value, legitimate
    payments stopped and warned, precision, per typology, cases per 10,000 payments."""
    from kefu.screening.model_backtest import efficacy, format_efficacy  # noqa: PLC0415

    records = _labelled(data)
    if model is not None and Path(model).is_file():
        try:
            scoring: ScoringModel | None = ScoringModel.from_dict(json.loads(Path(model).read_text("utf-8")))
        except (OSError, json.JSONDecodeError) as exc:
            raise InvalidInput(f"cannot read model {model!r}: {exc}") from exc
    else:
        scoring = _run(_settings(ctx), lambda k: _stored(k, model))
    result = efficacy(records, scoring)
    if as_json:
        _echo(result)
    else:
        print(format_efficacy(result))  # noqa: T201


@model_app.command("promote")
def model_promote(ctx: typer.Context, version: Annotated[str, typer.Argument()]) -> None:
    """Make VERSION the live model (its points count from the next screening); the live one retires."""
    promoted = _run(_settings(ctx), lambda k: k.bus.handle(PromoteModel(version), SYSTEM_ACTOR))
    print(f"model {promoted.version} is live")  # noqa: T201


@model_app.command("list")
def model_list(ctx: typer.Context) -> None:
    """Stored models, newest first, with status and what they were trained on."""
    from kefu.services.screening.model import list_models  # noqa: PLC0415

    async def work(k: Kefu) -> list[StoredModel]:
        return await list_models(k.bus.context(SYSTEM_ACTOR))

    _echo([{**m.summary(), "backtest": m.backtest} for m in _run(_settings(ctx), work)])
