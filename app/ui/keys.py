"""The session-state keys that more than one module reads or writes: one home, one spelling. A key only
one module uses stays beside its widget."""

IMAGE_INDEX = "image_index"  # the live page's test image: its sidebar widget; the gallery and the Hessian page read it
RUNNING = "running"  # True while this session's run computes: the buttons that would start another are disabled
OBJECTIVE = "objective"  # the optimizers' objective (advanced settings); the bound note's button sets "paper"
THETA_BOUND = "theta_bound"  # the bound on θ (advanced settings); the bound note's button sets the objective's own
SAMPLING = "sampling"  # CERTIFY's sampling (advanced settings), also read from and written to the link
TOY_CLICK = "toy_click"  # the toy page's last click on its regions figure
GALLERY_OPEN = "gallery_open"  # the live page's gallery expander: filled only while open
