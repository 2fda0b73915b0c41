#!/usr/bin/env python3
"""Drive the test's WordPress through its own interfaces (install form, XML-RPC).

Part of internal/wpinterop/run.sh; standard library only.

  wp.py URL install TITLE USER PASSWORD EMAIL
  wp.py URL new-post USER PASSWORD TITLE CONTENT_FILE      -> prints "ID PERMALINK"
  wp.py URL new-post USER PASSWORD TITLE CONTENT_FILE TRACKBACK_URL  -> the same, also trackbacking
  wp.py URL edit-post USER PASSWORD POST_ID HTML           -> appends HTML to the post (WordPress re-pings)
  wp.py URL comments USER PASSWORD POST_ID                 -> prints the post's comments, JSON
  wp.py URL wait-comment USER PASSWORD POST_ID SOURCE SECS -> waits for a pingback from SOURCE
"""

import json
import sys
import time
import urllib.parse
import urllib.request
import xmlrpc.client


def install(base, title, user, password, email):
    """Run WordPress's install form (wp-admin/install.php step 2)."""
    form = urllib.parse.urlencode({
        "weblog_title": title,
        "user_name": user,
        "admin_password": password,
        "admin_password2": password,
        "pw_weak": "on",
        "admin_email": email,
        "blog_public": "1",
        "language": "",
        "Submit": "Install WordPress",
    }).encode()
    req = urllib.request.Request(base + "/wp-admin/install.php?step=2", data=form)
    with urllib.request.urlopen(req, timeout=120) as r:
        body = r.read().decode("utf-8", "replace")
    if "Success!" not in body and "Already Installed" not in body:
        sys.exit("wp.py install: WordPress did not say Success:\n" + body[:2000])
    print("installed" if "Success!" in body else "already installed")


def server(base):
    return xmlrpc.client.ServerProxy(base + "/xmlrpc.php", allow_none=True)


def new_post(base, user, password, title, content_file, trackback_url=None):
    """Publish a post with wp.newPost (metaWeblog.newPost to name a URL to
    trackback, the field the editor calls "Send trackbacks to"); print its
    ID and permalink."""
    with open(content_file, encoding="utf-8") as f:
        content = f.read()
    s = server(base)
    if trackback_url:
        post_id = s.metaWeblog.newPost(0, user, password, {
            "title": title,
            "description": content,
            "mt_allow_pings": 1,
            "mt_tb_ping_urls": [trackback_url],
        }, True)
    else:
        post_id = s.wp.newPost(0, user, password, {
            "post_type": "post",
            "post_status": "publish",
            "post_title": title,
            "post_content": content,
            "comment_status": "open",
            "ping_status": "open",
        })
    post = s.wp.getPost(0, user, password, int(post_id), ["link", "post_id"])
    print(post_id, post["link"])


def edit_post(base, user, password, post_id, html):
    """Append html to a post: saving a published post makes WordPress ping its links again."""
    s = server(base)
    post = s.wp.getPost(0, user, password, int(post_id), ["post_content"])
    if not s.wp.editPost(0, user, password, int(post_id), {"post_content": post["post_content"] + html}):
        sys.exit("wp.py edit-post: WordPress refused to save post %s" % post_id)


def comments(base, user, password, post_id):
    s = server(base)
    out = []
    for c in s.wp.getComments(0, user, password, {"post_id": int(post_id), "number": 50}):
        out.append({k: str(c[k]) for k in ("comment_id", "status", "type", "author", "author_url", "author_ip", "content", "date_created_gmt") if k in c})
    return out


def wait_comment(base, user, password, post_id, source, secs):
    """Wait until the post has a pingback comment from source; print it."""
    deadline = time.time() + float(secs)
    while True:
        for c in comments(base, user, password, post_id):
            if c.get("type") == "pingback" and c.get("author_url") == source:
                print(json.dumps(c, indent=2, ensure_ascii=False))
                return
        if time.time() > deadline:
            sys.exit("wp.py wait-comment: no pingback from %s on post %s after %s s" % (source, post_id, secs))
        time.sleep(0.5)


def main(argv):
    if len(argv) < 3:
        sys.exit(__doc__)
    base, cmd, args = argv[1].rstrip("/"), argv[2], argv[3:]
    if cmd == "install":
        install(base, *args)
    elif cmd == "new-post":
        new_post(base, *args)
    elif cmd == "edit-post":
        edit_post(base, *args)
    elif cmd == "comments":
        print(json.dumps(comments(base, *args), indent=2, ensure_ascii=False))
    elif cmd == "wait-comment":
        wait_comment(base, *args)
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
