import io, re, time
import pytest
from django.urls import reverse
from pypdf import PdfReader
from ketacare.treatments.tests.factories import make_session
from ketacare.treatments import selectors
pytestmark = pytest.mark.django_db

def test_peek(personas, client_for):
    s = make_session(personas.b1, route="esketamine_in", state="discharged", minutes_since_dose_end=125)
    c = client_for("clinician_b")
    selectors._cached_timeline.cache_clear()
    for i in range(3):
        t = time.perf_counter()
        body = c.get(reverse("treatments:run_sheet", kwargs={"session_id": s.public_id})).content.decode()
        print("run-sheet", i, round(time.perf_counter() - t, 3))
    m = re.search(r'<section class="card recovery-estimate".*?</section>', body, re.S)
    print(m.group(0))
    t = time.perf_counter()
    r = c.get(reverse("treatments:instructions_pdf", kwargs={"session_id": s.public_id}))
    print("pdf", round(time.perf_counter() - t, 3))
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(r.content)).pages)
    i = text.find("When the medicine")
    print(text[i:i+900])
