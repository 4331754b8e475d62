def test_world_logins_work(api, world):
    for key in world.tokens:
        r = api.get("/auth/me", headers=world.h(key))
        assert r.status_code == 200, (key, r.text)
        assert r.json()["user"]["username"] == key
