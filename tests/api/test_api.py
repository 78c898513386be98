import json

import pytest
from openapi_spec_validator import validate

from mitmachen.core.models import AuditEntry
from mitmachen.organisations.models import Organisation, Place

pytestmark = pytest.mark.django_db


def _json(client, method, url, headers, body=None):
    kwargs = dict(headers)
    if body is not None:
        kwargs.update(data=json.dumps(body), content_type="application/json")
    return getattr(client, method)(url, **kwargs)


# Every operation of the schema: (url builder, body, public?, persona allowed in Kassel,
# persona whose role lacks the permission in Kassel).
OPERATIONS = {
    ("get", "/api/v1/me"): (lambda w: "/api/v1/me", None, False, "kassel_treasurer", None),
    ("get", "/api/v1/organisations"): (lambda w: "/api/v1/organisations", None, True, None, None),
    ("get", "/api/v1/organisations/{organisation_id}"):
        (lambda w: f"/api/v1/organisations/{w.kassel.pk}", None, True, None, None),
    ("patch", "/api/v1/organisations/{organisation_id}"):
        (lambda w: f"/api/v1/organisations/{w.kassel.pk}", {"tagline": "Neu"}, False,
         "kassel_board", "kassel_treasurer"),
    ("get", "/api/v1/organisations/{organisation_id}/roles"):
        (lambda w: f"/api/v1/organisations/{w.kassel.pk}/roles", None, False, "kassel_board",
         "kassel_events"),
    ("get", "/api/v1/organisations/{organisation_id}/audit"):
        (lambda w: f"/api/v1/organisations/{w.kassel.pk}/audit", None, False, "kassel_admin",
         "kassel_board"),
    ("get", "/api/v1/districts"): (lambda w: "/api/v1/districts", None, True, None, None),
    ("get", "/api/v1/municipalities"):
        (lambda w: "/api/v1/municipalities", None, True, None, None),
    ("get", "/api/v1/cooperations"): (lambda w: "/api/v1/cooperations", None, True, None, None),
    ("get", "/api/v1/cooperations/{cooperation_id}"):
        (lambda w: f"/api/v1/cooperations/{w.cooperation.pk}", None, True, None, None),
    ("get", "/api/v1/districts/{district_id}"):
        (lambda w: f"/api/v1/districts/{w.kassel_office.district_id}", None, True, None, None),
    ("get", "/api/v1/places"): (lambda w: "/api/v1/places", None, True, None, None),
    ("get", "/api/v1/places/{place_id}"):
        (lambda w: f"/api/v1/places/{w.kassel_office.pk}", None, True, None, None),
    ("post", "/api/v1/organisations/{organisation_id}/places"):
        (lambda w: f"/api/v1/organisations/{w.kassel.pk}/places", {"name": "Neu"}, False,
         "kassel_events", "kassel_treasurer"),
    ("patch", "/api/v1/places/{place_id}"):
        (lambda w: f"/api/v1/places/{w.kassel_office.pk}", {"name": "Büro"}, False,
         "kassel_board", "kassel_groups"),
    ("delete", "/api/v1/places/{place_id}"):
        (lambda w: f"/api/v1/places/{w.kassel_office.pk}", None, False, "kassel_admin",
         "kassel_consultation"),
}

# The same operation aimed at Düsseldorf, for the "another organisation's id" check.
FOREIGN = {
    "/api/v1/organisations/{organisation_id}":
        lambda w: f"/api/v1/organisations/{w.duesseldorf.pk}",
    "/api/v1/organisations/{organisation_id}/roles":
        lambda w: f"/api/v1/organisations/{w.duesseldorf.pk}/roles",
    "/api/v1/organisations/{organisation_id}/audit":
        lambda w: f"/api/v1/organisations/{w.duesseldorf.pk}/audit",
    "/api/v1/organisations/{organisation_id}/places":
        lambda w: f"/api/v1/organisations/{w.duesseldorf.pk}/places",
    "/api/v1/places/{place_id}": lambda w: f"/api/v1/places/{w.duesseldorf_office.pk}",
}


def test_openapi_schema_is_valid_openapi_3(client):
    schema = client.get("/api/v1/openapi.json").json()
    validate(schema)
    assert schema["openapi"].startswith("3.")
    assert "BearerToken" in schema["components"]["securitySchemes"]


def test_every_operation_in_the_schema_is_tested(client):
    schema = client.get("/api/v1/openapi.json").json()
    operations = {(method, path) for path, item in schema["paths"].items() for method in item}
    assert operations == set(OPERATIONS)


@pytest.mark.parametrize("operation", sorted(OPERATIONS), ids=lambda o: f"{o[0]} {o[1]}")
def test_who_may_and_who_may_not(world, client, token_for, operation):
    method, path = operation
    url, body, public, allowed, refused = OPERATIONS[operation]
    anonymous = _json(client, method, url(world), {}, body)
    if public:
        assert anonymous.status_code == 200
        return
    assert anonymous.status_code == 401
    assert anonymous.json()["error"]["code"] == "unauthenticated"
    if refused:
        response = _json(client, method, url(world), token_for(refused), body)
        assert response.status_code == 403, response.content
        assert response.json()["error"]["code"] == "forbidden"
    if path in FOREIGN:
        headers = token_for(allowed)
        before = AuditEntry.objects.count()
        response = _json(client, method, FOREIGN[path](world), headers, body)
        assert response.status_code == 404, response.content
        assert response.json()["error"]["code"] == "not_found"
        assert AuditEntry.objects.count() == before
    response = _json(client, method, url(world), token_for(allowed), body)
    assert response.status_code in (200, 201, 204), response.content


def test_kassel_board_sees_nothing_personal_of_duesseldorf(world, client, token_for):
    headers = token_for("kassel_board")
    for url in [f"/api/v1/organisations/{world.duesseldorf.pk}/roles",
                f"/api/v1/organisations/{world.duesseldorf.pk}/audit"]:
        response = client.get(url, **headers)
        assert response.status_code == 404
        assert "duesseldorf_board" not in response.content.decode()


def test_a_token_is_bounded_by_its_organisation(world, client, token_for):
    # The Hessen board may change Kassel, but not with a token issued for Kassel... and a token
    # issued for Kassel cannot reach Hessen itself.
    headers = token_for("hessen_board", world.kassel)
    ok = client.patch(f"/api/v1/organisations/{world.kassel.pk}", data={"tagline": "x"},
                      content_type="application/json", **headers)
    assert ok.status_code == 200
    response = client.patch(f"/api/v1/organisations/{world.hessen.pk}", data={"tagline": "x"},
                            content_type="application/json", **headers)
    assert response.status_code == 404
    world.hessen.refresh_from_db()
    assert world.hessen.tagline == ""


def test_reads_of_personal_data_are_audit_logged(world, client, token_for):
    client.get(f"/api/v1/organisations/{world.kassel.pk}/roles", **token_for("kassel_board"))
    entry = AuditEntry.objects.filter(action="view").first()
    assert entry.via == "api" and entry.organisation == world.kassel


def test_pagination(world, client):
    page = client.get("/api/v1/organisations?page=1&page_size=2").json()
    assert page["count"] == Organisation.objects.filter(is_public=True).count()
    assert len(page["items"]) == 2
    bad = client.get("/api/v1/organisations?page=zero")
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "invalid"


def test_place_create_returns_the_place_and_audits(world, client, token_for):
    response = client.post(f"/api/v1/organisations/{world.kassel.pk}/places",
                           data={"name": "Stadtteilzentrum Wesertor", "kind": "district_centre",
                                 "district_id": world.kassel_office.district_id,
                                 "step_free": "yes"},
                           content_type="application/json", **token_for("kassel_board"))
    assert response.status_code == 201
    body = response.json()
    assert body["name"] == "Stadtteilzentrum Wesertor" and body["organisation_id"] == \
        world.kassel.pk
    assert AuditEntry.objects.filter(action="create", object_id=str(body["id"]),
                                     via="api").exists()


@pytest.mark.parametrize("body", [
    {},
    {"name": ""},
    {"name": "x" * 201},
    {"name": "a\x00b"},
    {"name": 42},
    {"name": ["list"]},
    {"name": "Ok", "kind": "castle"},
    {"name": "Ok", "step_free": True},
    {"name": "Ok", "district_id": "drei"},
    {"name": "Ok", "district_id": 999999},
])
def test_bad_place_input_gets_a_clear_error_and_changes_nothing(world, client, token_for, body):
    count = Place.objects.count()
    response = client.post(f"/api/v1/organisations/{world.kassel.pk}/places", data=body,
                           content_type="application/json", **token_for("kassel_board"))
    assert response.status_code == 422, response.content
    error = response.json()["error"]
    assert error["code"] == "invalid" and error["message"] and error["fields"]
    assert Place.objects.count() == count


def test_error_messages_follow_the_language(world, client, token_for):
    headers = token_for("kassel_board")
    url = f"/api/v1/organisations/{world.kassel.pk}/places"
    german = client.post(url, data={}, content_type="application/json", **headers)
    english = client.post(url, data={}, content_type="application/json",
                          HTTP_ACCEPT_LANGUAGE="en", **headers)
    assert "nichts" in german.json()["error"]["message"]
    assert "Nothing was changed" in english.json()["error"]["message"]


def test_malformed_json_and_wrong_encoding_change_nothing(world, client, token_for):
    headers = token_for("kassel_board")
    url = f"/api/v1/organisations/{world.kassel.pk}/places"
    for raw in [b"{not json", "{\"name\": \"B\xfcro\"}".encode("cp1252"), b""]:
        response = client.post(url, data=raw, content_type="application/json", **headers)
        assert response.status_code in (400, 422), (raw, response.content)
    assert not Place.objects.filter(organisation=world.kassel).exclude(
        pk=world.kassel_office.pk).exists()


def test_patch_with_bad_values_changes_nothing(world, client, token_for):
    headers = token_for("kassel_board")
    for body in [{"name": None}, {"contact_email": "nope"}, {"about": "x" * 5001},
                 {"name": "a\x00"}, {"about": None}, {"tagline": None}, {"is_public": None},
                 {"website": None}, {"is_public": "vielleicht"}]:
        response = client.patch(f"/api/v1/organisations/{world.kassel.pk}", data=body,
                                content_type="application/json", **headers)
        assert response.status_code == 422, (body, response.content)
    world.kassel.refresh_from_db()
    assert world.kassel.name == "Kassel" and world.kassel.about == "Wir sind die Kasseler."


def test_non_public_places_and_organisations_stay_hidden(world, client):
    Place.objects.filter(pk=world.kassel_office.pk).update(is_public=False)
    assert client.get(f"/api/v1/places/{world.kassel_office.pk}").status_code == 404
    assert world.kassel_office.pk not in [p["id"] for p in
                                          client.get("/api/v1/places").json()["items"]]
    Organisation.objects.filter(pk=world.duesseldorf.pk).update(is_public=False)
    assert client.get(f"/api/v1/organisations/{world.duesseldorf.pk}").status_code == 404


def test_cooperation_lists_its_partners(world, client):
    body = client.get(f"/api/v1/cooperations/{world.cooperation.pk}").json()
    assert set(body["partner_ids"]) == {world.kassel.pk, world.duesseldorf.pk}
    assert client.get("/api/v1/cooperations/999999").status_code == 404


def test_districts_filter_by_municipality(world, client):
    names = [d["name"] for d in client.get("/api/v1/districts?municipality=kassel").json()["items"]]
    assert names == ["Mitte", "Wesertor"]
    assert client.get("/api/v1/districts?municipality=nowhere").json()["count"] == 0


@pytest.mark.parametrize("field", ["name", "kind", "operator", "street", "postcode", "city",
                                   "step_free", "accessible_toilet", "accessibility_notes",
                                   "is_public"])
def test_place_patch_with_null_is_refused_and_changes_nothing(world, client, token_for, field):
    response = client.patch(f"/api/v1/places/{world.kassel_office.pk}", data={field: None},
                            content_type="application/json", **token_for("kassel_board"))
    assert response.status_code == 422, response.content
    assert response.json()["error"]["code"] == "invalid"
    world.kassel_office.refresh_from_db()
    assert world.kassel_office.name == "Parteibüro"
