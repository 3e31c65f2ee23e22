"""The use cases: the only thing front ends (CLI, API, pages) call.

Services take an explicit context (``context.ServiceContext``: settings, Temporal client, store
engine, acting user), raise typed errors (``errors``) and never print. One module per family:

- ``cases``: reading — one case as the actor may see it (the visibility rule is documented
  there), listings, the letter, my tasks, my sign-offs, what the actor may do now;
- ``actions``: every human action on a case (the workflow's updates);
- ``intake``: previewing and starting a case from a request document;
- ``routing``: routing suggestions from the store's rules;
- ``directory``: the acting user from the store's directory;
- ``schemas``: inputs and list rows (the API's schemas);
- ``temporal``, ``db``: how services reach Temporal and the store.
"""
