"""The legal officer's desk: the web application ``zhifa serve`` runs (Starlette, Jinja2,
server-rendered pages, no JavaScript build). Every step it takes goes through the one
:class:`~zhifa.engine.Engine`, as the logged-in officer.

Modules:

* :mod:`~zhifa.desk.app` — :func:`create_app`: the engine, the middleware (signed cookie, CSRF,
  security headers, request logs) and the routes of every page module;
* :mod:`~zhifa.desk.web` — :class:`Desk`, :class:`Pages` and the :class:`Page` a handler gets
  (the officer, input, rendering, who may see a matter);
* :mod:`~zhifa.desk.sessions` — the signed cookie, the desk's secret, CSRF tokens;
* :mod:`~zhifa.desk.i18n` — the desk's words in Chinese and English;
* :mod:`~zhifa.desk.forms` — forms generated from a workflow's field declarations;
* page modules, one each: ``auth`` (login, logout, ``/health``), ``home`` (my desk),
  ``matters`` (a matter, its steps, opening one), ``entities``, ``search``, ``due``, ``files``
  (document and evidence downloads), ``plans`` (random-inspection plans and draws), ``public``
  (the public complaint and report page and following it by receipt);
* ``templates/`` and ``static/`` — the pages' Jinja2 templates, CSS and a little JavaScript.
"""
