import pytest
pytestmark = pytest.mark.django_db

def test_explore(login, worker, officer, donor, network_admin, specialist):
    import re
    from django.test import Client
    r = Client().get("/network/facilities/")
    print(r.status_code, r["Location"])
    c = login(worker)
    r = c.get("/")
    html = r.content.decode()
    print(re.sub(r"\n\s*\n", "\n", html[html.find("<main"):])[:3000])
    print(r.headers)
    for u in (officer, donor, network_admin, specialist):
        r = login(u).get("/")
        html = r.content.decode()
        print("=====", u.username, re.sub(r"\n\s*\n", "\n", html[html.find("<main"):])[:1500])
    r = c.get("/network/facilities/?q=lung+cu")
    html = r.content.decode()
    print(re.sub(r"\n\s*\n", "\n", html[html.find("<main"):])[:3000])
    r = c.get("/network/facilities/?province=abc&kind=zzz", headers={"HX-Request": "true", "HX-Target": "results"})
    print(r.content.decode()[:1000])
