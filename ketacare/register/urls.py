from django.urls import path

from ketacare.register import report_views, views

app_name = "register"

urlpatterns = [
    path("clinic/register/", views.home, name="home"),
    path("clinic/register/ledger/", views.ledger, name="ledger"),
    path("clinic/register/receive/", views.receive, name="receive"),
    path("clinic/register/count/", views.count, name="count"),
    path("clinic/register/investigate/", views.investigate, name="investigate"),
    path("clinic/register/correction/", views.correction, name="correction"),
    path("clinic/register/loss/", views.loss, name="loss"),
    path("clinic/register/settings/", views.settings_page, name="settings"),
    path("clinic/register/reports/", report_views.report_page, name="reports"),
    path("clinic/register/reports/extract.csv", report_views.extract_csv, name="extract_csv"),
    path("clinic/register/reports/extract.pdf", report_views.extract_pdf, name="extract_pdf"),
    path("clinic/register/reports/inventory.pdf", report_views.inventory_pdf, name="inventory_pdf"),
    path("clinic/register/reports/inspection.pdf", report_views.inspection_pdf, name="inspection_pdf"),
    path("clinic/register/reports/prepare", report_views.prepare_report, name="report_prepare"),
    path("sessions/<uuid:session_id>/controlled-drugs/", views.session_panel, name="session_panel"),
    path("sessions/<uuid:session_id>/controlled-drugs/draw", views.draw, name="draw"),
    path("sessions/<uuid:session_id>/controlled-drugs/close", views.close_draw, name="close_draw"),
]
