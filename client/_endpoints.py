"""The API's operations as methods, written once for Client and AsyncClient."""

from __future__ import annotations

from client import _calls as calls
from client._core import endpoint, paged
from client._feed import FeedState, feed


class Endpoints:
    """The API's operations, shared by Client and AsyncClient."""

    create_article = endpoint(calls.create_article)
    list_articles = endpoint(calls.list_articles)
    iter_articles = paged(calls.list_articles)
    find_article = endpoint(calls.find_article)
    get_article = endpoint(calls.get_article)
    update_article = endpoint(calls.update_article)
    delete_article = endpoint(calls.delete_article)
    list_revisions = endpoint(calls.list_revisions)
    iter_revisions = paged(calls.list_revisions)
    get_revision = endpoint(calls.get_revision)

    list_article_claims = endpoint(calls.list_article_claims)
    iter_article_claims = paged(calls.list_article_claims)
    create_claim = endpoint(calls.create_claim)
    list_claims = endpoint(calls.list_claims)
    iter_claims = paged(calls.list_claims)
    get_claim = endpoint(calls.get_claim)
    update_claim = endpoint(calls.update_claim)
    delete_claim = endpoint(calls.delete_claim)
    similar_claims = endpoint(calls.similar_claims)
    match_claim = endpoint(calls.match_claim)

    submit_verification = endpoint(calls.submit_verification)
    list_verifications = endpoint(calls.list_verifications)
    iter_verifications = paged(calls.list_verifications)
    link_source = endpoint(calls.link_source)
    unlink_source = endpoint(calls.unlink_source)

    create_source = endpoint(calls.create_source)
    list_sources = endpoint(calls.list_sources)
    iter_sources = paged(calls.list_sources)
    find_source = endpoint(calls.find_source)
    get_source = endpoint(calls.get_source)
    update_source = endpoint(calls.update_source)
    delete_source = endpoint(calls.delete_source)
    list_source_claims = endpoint(calls.list_source_claims)
    iter_source_claims = paged(calls.list_source_claims)

    create_key = endpoint(calls.create_key)
    list_keys = endpoint(calls.list_keys)
    iter_keys = paged(calls.list_keys)
    revoke_key = endpoint(calls.revoke_key)

    list_events = endpoint(calls.list_events)
    events = feed(FeedState)

    create_webhook = endpoint(calls.create_webhook)
    list_webhooks = endpoint(calls.list_webhooks)
    iter_webhooks = paged(calls.list_webhooks)
    get_webhook = endpoint(calls.get_webhook)
    update_webhook = endpoint(calls.update_webhook)
    delete_webhook = endpoint(calls.delete_webhook)
    rotate_webhook_secret = endpoint(calls.rotate_webhook_secret)
    list_deliveries = endpoint(calls.list_deliveries)
    iter_deliveries = paged(calls.list_deliveries)

    import_articles = endpoint(calls.import_articles)
