"""The one guard for requests the API makes on its own: source checks and webhook deliveries.

``addresses`` decides which addresses may be reached (public ones, and the allow-list
``CLAIMTRACK_OUTBOUND_ALLOW``); ``transport`` is the httpx transport that resolves host names
itself, vets every address and connects only to a vetted one.
"""
