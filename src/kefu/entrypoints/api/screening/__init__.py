"""Routes and bodies of screening (劝阻止付): screen a payment, payees, intervention cases, rules, figures."""
