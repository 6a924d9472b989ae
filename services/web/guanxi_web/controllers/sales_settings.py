"""Settings for sales: the workspace's pipelines (销售流程) with their stages, and the reasons a deal is lost.

The API decides (only administrators change them; a removed stage that still holds deals is a 409); the web edits
a pipeline's stages as rows that are reordered, added and removed by plain form posts, and sends the whole
ordered list on save.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

import structlog
from litestar import Controller, Request, Response, get, post
from litestar.datastructures import FormMultiDict
from litestar.di import NamedDependency, Provide
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Template

from guanxi_web.api_client import ApiCaller, ApiError, LossReason, Me, Pipeline
from guanxi_web.controllers.settings import (
    NoAccess,
    handle_settings_api_error,
    no_access,
    provide_settings_me,
    require_admin,
    settings_page,
)
from guanxi_web.forms import Form, refusal_status
from guanxi_web.i18n import N_, _, ngettext
from guanxi_web.session import redirect

log = structlog.get_logger("web.sales_settings")

OUTCOMES: dict[str, str] = {"open": N_("Open"), "won": N_("Won"), "lost": N_("Lost")}
STAGE_COLUMNS: dict[str, str] = {
    "name": N_("Stage name"),
    "probability": N_("Win probability"),
    "outcome": N_("Outcome"),
}
PIPELINE_FIELDS = {"name": N_("Pipeline name"), "is_default": N_("Default pipeline"), "stages": N_("Stages")}
REASON_FIELDS = {"name": N_("Loss reason")}
MAX_STAGES = 30
# A new pipeline starts like the usual B2B sales funnel; admins rename and reorder from there.
STARTER_STAGES: tuple[tuple[str, str, str], ...] = (
    (N_("Qualification"), "10", "open"),
    (N_("Needs analysis"), "30", "open"),
    (N_("Proposal"), "60", "open"),
    (N_("Negotiation"), "80", "open"),
    (N_("Won"), "100", "won"),
    (N_("Lost"), "0", "lost"),
)
STAGES_MESSAGES = {
    "invalid": N_("Keep 3 to %(max)s stages: open ones, then exactly one won and one lost stage."),
    "duplicate": N_("A stage appears twice. Reload the page and try again."),
}
NOTICES = {
    "pipeline-saved": N_("The pipeline is saved. The deals board shows its stages at once."),
    "pipeline-created": N_("The pipeline is created."),
    "reason-added": N_("The loss reason is added."),
    "reason-saved": N_("The loss reason is saved."),
    "reason-retired": N_("The loss reason is retired: it is no longer offered when a deal is lost."),
    "reason-reactivated": N_("The loss reason is offered again."),
}


@dataclass
class StageRow:
    id: str
    name: str
    probability: str
    outcome: str


class PipelineForm(Form):
    """A pipeline's name, default flag and stage rows; errors name a row's cell like the API (``stages[2].name``)."""

    rows: list[StageRow]

    def __init__(self, values: dict[str, str], rows: list[StageRow]) -> None:
        super().__init__(PIPELINE_FIELDS, values=values)
        self.rows = rows

    def label(self, name: str) -> str:
        if name.startswith("stages[") and "]." in name:
            index, column = name[len("stages[") :].split("].", 1)
            if index.isdigit() and column in STAGE_COLUMNS:
                return _("Stage %(number)d: %(column)s") % {
                    "number": int(index) + 1,
                    "column": _(STAGE_COLUMNS[column]),
                }
        return super().label(name)

    def field_of(self, api_field: str) -> str:
        if api_field.startswith("stages[") and api_field.endswith("].id"):
            return api_field[: -len(".id")] + ".name"
        return api_field

    def refuse(self, error: ApiError) -> None:
        # The cells of the rows are fields of this form too, so the API's errors land at their row.
        self.fields = {
            **PIPELINE_FIELDS,
            **{
                f"stages[{index}].{column}": label
                for index in range(len(self.rows))
                for column, label in STAGE_COLUMNS.items()
            },
        }
        super().refuse(error)
        # The API explains the whole list's rules in English; say them in the reader's language.
        said = [STAGES_MESSAGES.get(p.code) for p in error.field_errors if p.field == "stages"]
        if said and all(said):
            self.errors["stages"] = [_(message) % {"max": MAX_STAGES} for message in said if message]

    def cell_errors(self, index: int, column: str) -> list[str]:
        return self.errors.get(f"stages[{index}].{column}", [])


def rows_of(pipeline: Pipeline) -> list[StageRow]:
    return [
        StageRow(str(s.id), s.name, format(s.probability.normalize(), "f"), s.outcome)
        for s in sorted(pipeline.stages, key=lambda s: s.position)
    ]


def starter_rows() -> list[StageRow]:
    return [StageRow("", _(name), probability, outcome) for name, probability, outcome in STARTER_STAGES]


def read_rows(data: FormMultiDict) -> list[StageRow]:
    columns = [
        [str(v) for v in data.getall(name, [])]
        for name in ("stage_id", "stage_name", "stage_probability", "stage_outcome")
    ]
    count = min(len(column) for column in columns) if columns else 0
    rows = []
    for i in range(min(count, MAX_STAGES + 1)):
        outcome = columns[3][i] if columns[3][i] in OUTCOMES else "open"
        rows.append(StageRow(columns[0][i].strip(), columns[1][i], columns[2][i].strip(), outcome))
    return rows


def apply_row_action(rows: list[StageRow], action: str) -> bool:
    """Move, remove or add a row; true when the action was one of those (the page is shown again, not saved)."""
    verb, _sep, where = action.partition(":")
    if verb == "add":
        # A new open stage goes in before the closing (won/lost) stages.
        at = next((i for i, row in enumerate(rows) if row.outcome != "open"), len(rows))
        rows.insert(at, StageRow("", "", "50", "open"))
        return True
    if not where.isdigit() or int(where) >= len(rows):
        return verb in ("up", "down", "remove")
    index = int(where)
    if verb == "up" and index > 0:
        rows[index - 1], rows[index] = rows[index], rows[index - 1]
    elif verb == "down" and index < len(rows) - 1:
        rows[index + 1], rows[index] = rows[index], rows[index + 1]
    elif verb == "remove":
        rows.pop(index)
    return verb in ("up", "down", "remove")


def probability_of(value: str) -> Decimal | None:
    try:
        number = Decimal(value.replace("%", "").strip())
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def pipeline_body(form: PipelineForm) -> dict[str, Any] | None:
    """The API's body, or None when a probability is not a number (marked at its row)."""
    stages: list[dict[str, Any]] = []
    for index, row in enumerate(form.rows):
        probability = probability_of(row.probability)
        if probability is None:
            form.errors.setdefault(f"stages[{index}].probability", []).append(_("Enter a number from 0 to 100."))
            continue
        stage: dict[str, Any] = {"name": row.name.strip(), "probability": str(probability), "outcome": row.outcome}
        if row.id:
            stage["id"] = row.id
        stages.append(stage)
    if form.errors:
        form.fields = {
            **PIPELINE_FIELDS,
            **{f"stages[{index}].probability": STAGE_COLUMNS["probability"] for index in range(len(form.rows))},
        }
        return None
    return {
        "name": form.values.get("name", "").strip(),
        "is_default": bool(form.values.get("is_default")),
        "stages": stages,
    }


def refuse_reason(form: Form, error: ApiError) -> None:
    if error.status == 409 and error.kind == "duplicate":
        form.errors.setdefault("name", []).append(_("Another loss reason already has this name."))
    else:
        form.refuse(error)


async def default_id(api: ApiCaller) -> str | None:
    """The default pipeline's id (the API names it only through ``GET /pipeline``); none when there is none."""
    try:
        return str((await api.pipeline()).id)
    except ApiError as error:
        if error.status in (401, 403):
            raise
        return None


def in_use_message(error: ApiError) -> str:
    """The 409 ``stage-in-use``: the API counts the deals at the start of its detail."""
    count = re.match(r"\d+", error.problem.detail or "")
    n = int(count.group()) if count else 0
    return ngettext(
        "The stages you removed still hold %(num)d deal. Move it to another stage on the deals board first, "
        "or keep the stages.",
        "The stages you removed still hold %(num)d deals. Move them to another stage on the deals board first, "
        "or keep the stages.",
        n,
    ) % {"num": n}


def notice(request: Request[Any, Any, Any]) -> str | None:
    text = NOTICES.get(request.query_params.get("done") or "")
    return _(text) if text else None


class SalesSettingsController(Controller):
    path = "/w/settings"
    tags = ["settings"]
    dependencies = {"me": Provide(provide_settings_me)}
    exception_handlers = {NoAccess: no_access, ApiError: handle_settings_api_error}

    # ---- pipelines

    @get("/pipelines")
    async def pipelines(
        self, request: Request[Any, Any, Any], api: NamedDependency[ApiCaller], me: NamedDependency[Me]
    ) -> Template:
        require_admin(me)
        found = await api.pipelines()
        default = await default_id(api)
        return settings_page(
            request,
            "settings/_pipelines.html",
            me,
            _("Pipelines"),
            "pipelines",
            pipelines=found,
            default_id=default,
            notice=notice(request),
            outcomes=OUTCOMES,
        )

    def _pipeline_page(
        self,
        request: Request[Any, Any, Any],
        me: Me,
        form: PipelineForm,
        pipeline_id: str | None,
        status_code: int = 200,
        conflict: str | None = None,
    ) -> Template:
        title = _("New pipeline") if pipeline_id is None else form.values.get("name") or _("Pipeline")
        return settings_page(
            request,
            "settings/_pipeline.html",
            me,
            title,
            "pipelines",
            form=form,
            pipeline_id=pipeline_id,
            outcomes=[(key, _(label)) for key, label in OUTCOMES.items()],
            max_stages=MAX_STAGES,
            conflict=conflict,
            status_code=status_code,
            notice=notice(request),
        )

    @get("/pipelines/new")
    async def new_pipeline(self, request: Request[Any, Any, Any], me: NamedDependency[Me]) -> Template:
        require_admin(me)
        return self._pipeline_page(request, me, PipelineForm({"name": ""}, starter_rows()), None)

    @get("/pipelines/{pipeline_id:str}")
    async def pipeline(
        self,
        request: Request[Any, Any, Any],
        api: NamedDependency[ApiCaller],
        me: NamedDependency[Me],
        pipeline_id: FromPath[str],
    ) -> Template:
        require_admin(me)
        found = next((p for p in await api.pipelines() if str(p.id) == pipeline_id), None)
        if found is None:
            raise NotFoundException()
        values = {"name": found.name, "is_default": "on" if await default_id(api) == pipeline_id else ""}
        return self._pipeline_page(request, me, PipelineForm(values, rows_of(found)), pipeline_id)

    async def _save(
        self, request: Request[Any, Any, Any], api: ApiCaller, me: Me, pipeline_id: str | None
    ) -> Response[Any]:
        require_admin(me)
        data = await request.form()
        values = {"name": str(data.get("name") or ""), "is_default": "on" if data.get("is_default") else ""}
        form = PipelineForm(values, read_rows(data))
        if apply_row_action(form.rows, str(data.get("action") or "save")):
            return self._pipeline_page(request, me, form, pipeline_id)
        body = pipeline_body(form)
        if body is None:
            return self._pipeline_page(request, me, form, pipeline_id, 422)
        try:
            if pipeline_id is None:
                saved = await api.create_pipeline(body)
            else:
                saved = await api.update_pipeline(pipeline_id, body)
        except ApiError as error:
            if error.status in (401, 403, 404):
                raise
            conflict = None
            if error.status == 409 and error.kind == "stage-in-use":
                conflict = in_use_message(error)
            else:
                form.refuse(error)
            return self._pipeline_page(request, me, form, pipeline_id, refusal_status(error), conflict)
        log.info("pipeline.saved", pipeline_id=str(saved.id), stages=len(body["stages"]), new=pipeline_id is None)
        done = "pipeline-created" if pipeline_id is None else "pipeline-saved"
        return redirect(request, f"/w/settings/pipelines/{saved.id}?done={done}")

    @post("/pipelines/new")
    async def create_pipeline(
        self, request: Request[Any, Any, Any], api: NamedDependency[ApiCaller], me: NamedDependency[Me]
    ) -> Response[Any]:
        return await self._save(request, api, me, None)

    @post("/pipelines/{pipeline_id:str}")
    async def update_pipeline(
        self,
        request: Request[Any, Any, Any],
        api: NamedDependency[ApiCaller],
        me: NamedDependency[Me],
        pipeline_id: FromPath[str],
    ) -> Response[Any]:
        return await self._save(request, api, me, pipeline_id)

    # ---- loss reasons

    async def _reasons_page(
        self,
        request: Request[Any, Any, Any],
        api: ApiCaller,
        me: Me,
        form: Form,
        status_code: int = 200,
        editing: str | None = None,
        edit_form: Form | None = None,
    ) -> Template:
        reasons: list[LossReason] = await api.loss_reasons()
        return settings_page(
            request,
            "settings/_loss_reasons.html",
            me,
            _("Loss reasons"),
            "loss-reasons",
            active_reasons=[r for r in reasons if r.active],
            retired=[r for r in reasons if not r.active],
            form=form,
            editing=editing,
            edit_form=edit_form,
            notice=notice(request),
            status_code=status_code,
        )

    @get("/loss-reasons")
    async def loss_reasons(
        self, request: Request[Any, Any, Any], api: NamedDependency[ApiCaller], me: NamedDependency[Me]
    ) -> Template:
        require_admin(me)
        return await self._reasons_page(request, api, me, Form(REASON_FIELDS))

    @post("/loss-reasons")
    async def add_loss_reason(
        self, request: Request[Any, Any, Any], api: NamedDependency[ApiCaller], me: NamedDependency[Me]
    ) -> Response[Any]:
        require_admin(me)
        form, submitted = Form.read(REASON_FIELDS, await request.form())
        form.require(submitted, "name")
        if form.invalid:
            return await self._reasons_page(request, api, me, form, 422)
        try:
            await api.create_loss_reason(name=submitted["name"].strip())
        except ApiError as error:
            if error.status in (401, 403):
                raise
            refuse_reason(form, error)
            return await self._reasons_page(request, api, me, form, refusal_status(error))
        return redirect(request, "/w/settings/loss-reasons?done=reason-added")

    @post("/loss-reasons/{reason_id:str}")
    async def save_loss_reason(
        self,
        request: Request[Any, Any, Any],
        api: NamedDependency[ApiCaller],
        me: NamedDependency[Me],
        reason_id: FromPath[str],
    ) -> Response[Any]:
        """Rename (``name``), retire or reactivate (``active``): the API takes the whole reason each time."""
        require_admin(me)
        data = await request.form()
        reason = next((r for r in await api.loss_reasons() if str(r.id) == reason_id), None)
        if reason is None:
            raise NotFoundException()
        action = str(data.get("action") or "rename")
        active = {"retire": False, "reactivate": True}.get(action, reason.active)
        edit, submitted = Form.read(REASON_FIELDS, data)
        name = submitted["name"].strip() if action == "rename" else reason.name
        if not name:
            edit.require(submitted, "name")
            return await self._reasons_page(request, api, me, Form(REASON_FIELDS), 422, reason_id, edit)
        try:
            await api.update_loss_reason(reason_id, name=name, active=active)
        except ApiError as error:
            if error.status in (401, 403, 404):
                raise
            edit.values.setdefault("name", name)
            refuse_reason(edit, error)
            status = refusal_status(error)
            return await self._reasons_page(request, api, me, Form(REASON_FIELDS), status, reason_id, edit)
        done = {"retire": "reason-retired", "reactivate": "reason-reactivated"}.get(action, "reason-saved")
        return redirect(request, f"/w/settings/loss-reasons?done={done}")
