"""Human channels a handoff is delivered to, behind one small interface (see base.py).

The built-in inbox needs no delivery: agents read handoffs from the database. Every other
channel is registered in `registry.py`.
"""
