"""What a session has proved, and what a view may demand of it.

:mod:`~django_otp.assurance.proofs` says what one verified factor proves,
:mod:`~django_otp.assurance.aal` derives NIST SP 800-63B (rev. 4) levels from proofs,
:mod:`~django_otp.assurance.policies` names requirements, and
:mod:`~django_otp.assurance.state` is ``request.otp_state``: the proofs of a session that
still count. This layer knows devices by the properties they declare, never by plugin.
"""
