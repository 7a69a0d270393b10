"""Register pages: stock, ledger, receipts, blind counts, discrepancies, losses, settings, reports, and
the Controlled drugs panel the run-sheet loads (htmx) for drawing a lot and wasting the remainder.

A form that does not validate, or a service's refusal, re-renders with status 422 and the message on
its field (the run-sheet panel answers 200 so that htmx swaps the message in); a role refusal is a 403
that names what the action needs, audited as denied.
"""

from __future__ import annotations

import uuid
import zoneinfo
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django import forms as django_forms
from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from ketacare.accounts.gates import admin_object_view, staff_object_view
from ketacare.accounts.http import AuthenticatedRequest
from ketacare.audit.services import record_access_event
from ketacare.clinics.models import Clinic
from ketacare.clinics.selectors import active_membership
from ketacare.lib.errors import FieldError, NotPermitted
from ketacare.lib.forms import add_field_error
from ketacare.register import forms, rules, selectors, services
from ketacare.register.models import Discrepancy, Draw, Lot, Product, StorageLocation
from ketacare.treatments.models import TreatmentSession
from ketacare.treatments.selectors import access_session


def register_clinic(request: AuthenticatedRequest) -> Clinic:
    membership = active_membership(request)
    if membership is None:
        raise Http404("Not found")
    return membership.clinic


def _role(request: AuthenticatedRequest) -> str:
    membership = active_membership(request)
    return membership.role if membership else ""


def _apply(form: django_forms.Form, error: FieldError) -> None:
    add_field_error(form, error)


def _refused(request: AuthenticatedRequest, error: NotPermitted, *, patient: Any = None) -> HttpResponse:
    match = request.resolver_match
    record_access_event(
        action="write",
        outcome="denied",
        patient=patient,
        clinic=None if patient else register_clinic(request),
        object_type="action",
        object_id=(match.view_name if match else "")[:64],
    )
    return render(request, "register/refused.html", {"message": error.message}, status=403)


def _pair(clinic: Clinic, value: str) -> tuple[Lot, StorageLocation]:
    lot_id, _, location_id = (value or "").partition(":")
    return selectors.by_public_id(Lot, clinic, lot_id), selectors.by_public_id(
        StorageLocation, clinic, location_id
    )


def page_context(request: AuthenticatedRequest, clinic: Clinic) -> dict[str, Any]:
    role = _role(request)
    return {
        "clinic": clinic,
        "role": role,
        "settings_row": services.register_settings(clinic.pk),
        "can_record": role in services.RECORDERS,
        "can_investigate": role in services.INVESTIGATORS,
        "is_admin": role == "clinic_admin",
    }


@staff_object_view("register", "")
def home(request: AuthenticatedRequest) -> HttpResponse:
    """Stock on hand per product, lot and location; open count differences for those who investigate;
    draws left open after their session ended (no patient named, a link to the run-sheet)."""
    clinic = register_clinic(request)
    record_access_event(
        action="read", outcome="granted", clinic=clinic, object_type="register", object_id="stock"
    )
    context = page_context(request, clinic)
    context.update(
        {
            "stock": selectors.stock(clinic),
            "open_discrepancies": selectors.open_discrepancies(clinic) if context["can_investigate"] else [],
            "open_count": selectors.open_discrepancies(clinic).count(),
            "locations": selectors.locations(clinic),
            "investigation_form": forms.InvestigationForm(),
            "loss_reports": selectors.loss_reports(clinic)[:20],
            "open_draws_after": selectors.open_draws_after_session(clinic),
        }
    )
    return render(request, "register/home.html", context)


@staff_object_view("register", "")
def ledger(request: AuthenticatedRequest) -> HttpResponse:
    """The running register of one lot at one location (or all), a page at a time, newest page first."""
    clinic = register_clinic(request)
    lot = location = None
    if request.GET.get("lot"):
        lot = selectors.by_public_id(Lot, clinic, request.GET["lot"])
    if request.GET.get("location"):
        location = selectors.by_public_id(StorageLocation, clinic, request.GET["location"])
    rows, page = selectors.ledger_page(
        user=request.user, clinic=clinic, page=request.GET.get("page"), lot=lot, location=location
    )
    record_access_event(
        action="read", outcome="granted", clinic=clinic, object_type="register", object_id="ledger"
    )
    context = page_context(request, clinic)
    context.update(
        {
            "rows": rows,
            "page": page,
            # The filters, kept on the links to newer and older pages.
            "filters": urlencode({k: request.GET[k] for k in ("lot", "location") if request.GET.get(k)}),
            "lot": lot,
            "location": location,
            "lots": Lot.objects.filter(clinic=clinic)
            .select_related("product")
            .order_by("product__name", "number"),
            "places": StorageLocation.objects.filter(clinic=clinic).order_by("name"),
            "zone": zoneinfo.ZoneInfo(clinic.time_zone),
        }
    )
    return render(request, "register/ledger.html", context)


RECORDERS_ONLY = "only a nurse or prescriber of this clinic can record in the register"
Saved = str | HttpResponse


def _record(
    request: AuthenticatedRequest,
    clinic: Clinic,
    form: django_forms.Form,
    template: str,
    *,
    roles: tuple[str, ...],
    refusal: NotPermitted,
    save: Callable[[dict[str, Any]], Saved],
    context: dict[str, Any] | None = None,
) -> HttpResponse:
    """The one flow of the register's forms. GET shows the form. POST: a role outside ``roles`` is a
    403 naming ``refusal`` (audited); else the form is validated and ``save`` calls the service, whose
    refusal lands on its field (422). ``save`` returns the message to flash on the way back to the
    register, or its own page (a count's result, a loss report's dates).
    """
    status = 200
    if request.method == "POST":
        if _role(request) not in roles:
            return _refused(request, refusal)
        status = 422
        if form.is_valid():
            try:
                saved = save(form.cleaned_data)
            except FieldError as error:
                _apply(form, error)
            else:
                if isinstance(saved, HttpResponse):
                    return saved
                messages.success(request, saved)
                return redirect("register:home")
    page = page_context(request, clinic)
    page.update({"form": form, **(context or {})})
    return render(request, template, page, status=status)


@require_http_methods(["GET", "POST"])
@staff_object_view("register", "", action="write")
def receive(request: AuthenticatedRequest) -> HttpResponse:
    """Receive a delivery (nurses and prescribers)."""
    clinic = register_clinic(request)
    today = timezone.now().astimezone(zoneinfo.ZoneInfo(clinic.time_zone)).date()
    form = forms.ReceiveForm(
        request.POST if request.method == "POST" else None,
        products=Product.objects.filter(clinic=clinic, active=True).order_by("name"),
        places=selectors.locations(clinic),
        initial={"received_on": today},
    )

    def save(data: dict[str, Any]) -> Saved:
        services.receive_stock(
            clinic=clinic,
            user=request.user,
            product=selectors.by_public_id(Product, clinic, data["product"]),
            lot_number=data["lot_number"],
            expires_on=data["expires_on"],
            location=selectors.by_public_id(StorageLocation, clinic, data["location"]),
            units=data["units"],
            supplier=data["supplier"],
            invoice_number=data["invoice_number"],
            received_on=data["received_on"],
        )
        return f"Received {data['units']} of lot {data['lot_number']}."

    return _record(
        request,
        clinic,
        form,
        "register/receive.html",
        roles=services.RECORDERS,
        refusal=NotPermitted("units", RECORDERS_ONLY),
        save=save,
    )


@require_http_methods(["GET", "POST"])
@staff_object_view("register", "", action="write")
def count(request: AuthenticatedRequest) -> HttpResponse:
    """A blind count of one location: the form never shows the expected balance; the result does."""
    clinic = register_clinic(request)
    places = list(selectors.locations(clinic))
    chosen = request.POST.get("location") or request.GET.get("location")
    location = (
        selectors.by_public_id(StorageLocation, clinic, chosen) if chosen else (places[0] if places else None)
    )
    lots = services.count_lots(clinic, location) if location else []
    form = forms.CountForm(request.POST if request.method == "POST" else None, lots=lots)

    def save(data: dict[str, Any]) -> Saved:
        if location is None:
            raise FieldError("location", "there is no storage location to count")
        result = services.submit_count(
            clinic=clinic,
            user=request.user,
            location=location,
            kind=data["kind"],
            counted_units={str(lot.public_id): data[f"lot_{lot.public_id}"] for lot in lots},
        )
        page = page_context(request, clinic)
        page.update(
            {"result": result, "lines": list(result.lines.select_related("lot__product", "discrepancy"))}
        )
        return render(request, "register/count_result.html", page)

    return _record(
        request,
        clinic,
        form,
        "register/count.html",
        roles=services.RECORDERS,
        refusal=NotPermitted("kind", RECORDERS_ONLY),
        save=save,
        context={"location": location, "places": places},
    )


@require_POST
@staff_object_view("register", "", action="write")
def investigate(request: AuthenticatedRequest) -> HttpResponse:
    """Close a count difference, and its alert, with the investigation note (administrators and
    prescribers)."""
    clinic = register_clinic(request)

    def save(data: dict[str, Any]) -> Saved:
        services.investigate_discrepancy(
            discrepancy=selectors.by_public_id(Discrepancy, clinic, data["discrepancy"]),
            user=request.user,
            note=data["investigation_note"],
        )
        return "Investigation recorded."

    return _record(
        request,
        clinic,
        forms.InvestigationForm(request.POST),
        "register/investigate_error.html",
        roles=services.INVESTIGATORS,
        refusal=NotPermitted("investigation_note", "only an administrator or prescriber can investigate"),
        save=save,
    )


@require_http_methods(["GET", "POST"])
@staff_object_view("register", "", action="write")
def correction(request: AuthenticatedRequest) -> HttpResponse:
    """A reasoned, witnessed correction: the only way the balance changes besides the movements."""
    clinic = register_clinic(request)
    form = forms.CorrectionForm(
        request.POST if request.method == "POST" else None, rows=selectors.stock(clinic)
    )

    def save(data: dict[str, Any]) -> Saved:
        lot, location = _pair(clinic, data["stock"])
        witness = services.verify_witness(
            clinic=clinic,
            recorder=request.user,
            email=data["witness_email"],
            password=data["witness_password"],
            otp_token=data["witness_code"],
        )
        services.record_correction(
            clinic=clinic,
            user=request.user,
            witness=witness,
            lot=lot,
            location=location,
            change_mg=data["change_mg"],
            reason=data["reason"],
        )
        return "Correction recorded."

    return _record(
        request,
        clinic,
        form,
        "register/correction.html",
        roles=services.RECORDERS,
        refusal=NotPermitted("change_mg", RECORDERS_ONLY),
        save=save,
    )


@require_http_methods(["GET", "POST"])
@staff_object_view("register", "", action="write")
def loss(request: AuthenticatedRequest) -> HttpResponse:
    """Record a theft or significant loss; the page then shows the reporting dates of the jurisdiction."""
    clinic = register_clinic(request)
    lots = Lot.objects.filter(clinic=clinic).select_related("product").order_by("product__name", "number")
    form = forms.LossForm(request.POST if request.method == "POST" else None, lots=lots)

    def save(data: dict[str, Any]) -> Saved:
        zone = zoneinfo.ZoneInfo(clinic.time_zone)
        discovered = data["discovered_at"]
        report = services.report_loss(
            clinic=clinic,
            user=request.user,
            kind=data["kind"],
            lot=selectors.by_public_id(Lot, clinic, data["lot"]),
            amount_mg=data["amount_mg"],
            discovered_at=discovered.replace(tzinfo=zone) if timezone.is_naive(discovered) else discovered,
            description=data["description"],
        )
        titles = rules.sources()
        page = page_context(request, clinic)
        page.update(
            {
                "form": form,
                "report": report,
                "deadline_rows": [
                    {**d, "source_title": titles[d["source"]]["title"]} for d in report.deadlines
                ],
            }
        )
        return render(request, "register/loss.html", page)

    return _record(
        request,
        clinic,
        form,
        "register/loss.html",
        roles=services.INVESTIGATORS,
        refusal=NotPermitted("kind", "only an administrator or prescriber can report a loss"),
        save=save,
        context={"report": None, "deadline_rows": []},
    )


@require_http_methods(["GET", "POST"])
@admin_object_view("register_settings", "")
def settings_page(request: AuthenticatedRequest) -> HttpResponse:
    """The administrator starts the register and sets its jurisdiction, safes and products."""
    clinic = register_clinic(request)
    current = services.register_settings(clinic.pk)
    settings_form = forms.SettingsForm(initial={"jurisdiction": current.jurisdiction if current else "us"})
    location_form = forms.LocationForm()
    product_form = forms.ProductForm()
    status = 200
    if request.method == "POST":
        status = 422
        which = request.POST.get("form")
        try:
            if which == "jurisdiction":
                settings_form = forms.SettingsForm(request.POST)
                if settings_form.is_valid():
                    services.configure_register(
                        clinic=clinic, user=request.user, **settings_form.cleaned_data
                    )
                    return redirect("register:settings")
            elif which == "location":
                location_form = forms.LocationForm(request.POST)
                if location_form.is_valid():
                    services.add_location(
                        clinic=clinic, user=request.user, name=location_form.cleaned_data["name"]
                    )
                    return redirect("register:settings")
            elif which == "product":
                product_form = forms.ProductForm(request.POST)
                if product_form.is_valid():
                    services.add_product(clinic=clinic, user=request.user, **product_form.cleaned_data)
                    return redirect("register:settings")
            else:
                settings_form = forms.SettingsForm(request.POST)
                settings_form.is_valid()
                settings_form.add_error(None, "choose what to save")
        except FieldError as error:
            target = {"location": location_form, "product": product_form}.get(which or "", settings_form)
            _apply(target, error)
    context = page_context(request, clinic)
    context.update(
        {
            "settings_form": settings_form,
            "location_form": location_form,
            "product_form": product_form,
            "places": selectors.locations(clinic),
            "products": Product.objects.filter(clinic=clinic).order_by("name"),
            "jurisdiction": rules.jurisdiction(current.jurisdiction) if current else None,
            "sources": rules.sources(),
        }
    )
    return render(request, "register/settings.html", context, status=status)


# ---- the run-sheet panel ---------------------------------------------------------------------


def _panel(
    request: AuthenticatedRequest, session: TreatmentSession, status: int = 200, **bound: Any
) -> HttpResponse:
    context = panel_context(request, session, **bound)
    return render(request, "register/_session_panel.html", context, status=status)


# A session not started (or cancelled before it was) has a panel only when something was drawn for it.
NOT_STARTED_STATES = (TreatmentSession.State.SCHEDULED, TreatmentSession.State.CANCELLED)


def panel_context(request: Any, session: TreatmentSession, **bound: Any) -> dict[str, Any]:
    """What the Controlled drugs panel shows for a session the caller has already opened.

    From check-in on, in every state: the draw form while the session is live; the close form of every
    open draw in any state, so a draw left open at discharge can still be accounted for afterwards.
    """
    clinic = session.clinic
    settings_row = services.register_settings(clinic.pk)
    started = session.state not in NOT_STARTED_STATES
    if settings_row is None:
        # The clinic does not keep its register here: one query, nothing else to read.
        return {"session": session, "settings_row": None, "show": started, **bound}
    live = session.state in services.LIVE_SESSION_STATES
    draws = selectors.session_draws(session)
    context = {
        "session": session,
        "settings_row": settings_row,
        "show": started or bool(draws),
        "can_record": _role(request) in services.RECORDERS,
        "draws": draws,
        "open_draws": sum(1 for d in draws if d["draw"].closed_at is None),
        "live": live,
    }
    if live:
        today = timezone.now().astimezone(zoneinfo.ZoneInfo(clinic.time_zone)).date()
        context["draw_form"] = forms.DrawForm(
            rows=selectors.usable_lots(clinic, session.route, today), auto_id="draw_%s"
        )
    return {**context, **bound}


@staff_object_view("treatment_session", "session_id")
def session_panel(request: AuthenticatedRequest, session_id: uuid.UUID) -> HttpResponse:
    """The Controlled drugs panel of one session (loaded into the run-sheet)."""
    session = access_session(request.user, session_id)
    return _panel(request, session)


@require_POST
@staff_object_view("treatment_session", "session_id", action="write")
def draw(request: AuthenticatedRequest, session_id: uuid.UUID) -> HttpResponse:
    """Draw vials or devices of a chosen lot for this session."""
    session = access_session(request.user, session_id, action="write")
    if _role(request) not in services.RECORDERS:
        return _refused(
            request,
            NotPermitted("units", "only a nurse or prescriber can draw from the register"),
            patient=session.patient,
        )
    today = timezone.now().astimezone(zoneinfo.ZoneInfo(session.clinic.time_zone)).date()
    form = forms.DrawForm(
        request.POST, rows=selectors.usable_lots(session.clinic, session.route, today), auto_id="draw_%s"
    )
    if form.is_valid():
        try:
            lot, location = _pair(session.clinic, form.cleaned_data["stock"])
            services.draw_stock(
                session=session,
                user=request.user,
                lot=lot,
                location=location,
                units=form.cleaned_data["units"],
            )
        except FieldError as error:
            _apply(form, error)
        else:
            return _panel(request, session)
    return _panel(request, session, draw_form=form)


@require_POST
@staff_object_view("treatment_session", "session_id", action="write")
def close_draw(request: AuthenticatedRequest, session_id: uuid.UUID) -> HttpResponse:
    """Waste an opened vial's remainder (with a witness) and return unopened units."""
    session = access_session(request.user, session_id, action="write")
    if _role(request) not in services.RECORDERS:
        return _refused(
            request,
            NotPermitted("draw", "only a nurse or prescriber can record a waste"),
            patient=session.patient,
        )
    draw_id = request.POST.get("draw", "")
    key = selectors._uuid(draw_id)
    found = (
        Draw.objects.filter(session=session, public_id=key).select_related("lot__product").first()
        if key
        else None
    )
    form = forms.CloseDrawForm(request.POST, auto_id=f"close_{draw_id[:36]}_%s", needs_witness=False)
    if found is None:
        form.is_valid()
        form.add_error(None, "choose a draw of this session")
        return _panel(request, session, close_error=form)
    if form.is_valid():
        data = form.cleaned_data
        try:
            needs = services.closing_split(found, services.administered_from(found)).waste_mg > 0
            witness = (
                services.verify_witness(
                    clinic=session.clinic,
                    recorder=request.user,
                    email=data["witness_email"],
                    password=data["witness_password"],
                    otp_token=data["witness_code"],
                )
                if needs or data["witness_email"]
                else None
            )
            services.close_draw(draw=found, user=request.user, witness=witness)
        except FieldError as error:
            _apply(form, error)
        else:
            return _panel(request, session)
    return _panel(request, session, close_error=form, close_error_id=found.public_id)
