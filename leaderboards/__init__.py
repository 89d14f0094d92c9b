"""The leaderboard, in layers (each imports only those above it in this list; no import cycle):

    values, protocol, track   plain values: tiers, Estimate, refusals with their codes; the API's paths
    ranking, phases           ranking statistics and order; public/private views
    gtpack, bundle, audit     a frozen GT pack; a hidden track's bundle; its leak audit
    freeze, fit               writing pack and bundle; whether a submission fits its track
    store/                    schema and upgrades, submissions and rankings, teams and the queue
    submit, board, site, teams, worker, client
                              the scoring path, boards and pages, tokens, workers, the participant's client
    web/                      the server: pages, JSON API, uploads, screening (Starlette only here)
"""
