# SYNTAX TEST "source.python" "ShapeLens jaxtyping dimension strings"
from jaxtyping import Float, Int, Shaped

def forward(self, x: Float[Tensor, "batch 3 32 32"]) -> Float[Tensor, "batch 10"]:
#                    ^^^^^ meta.item-access.python meta.jaxtyping.shapelens support.type.jaxtyping.shapelens
#                         ^ punctuation.definition.arguments.begin.python
#                                  ^ string.quoted.single.python meta.shape.jaxtyping.shapelens punctuation.definition.string.begin.python
#                                   ^^^^^ string.quoted.single.python meta.shape.jaxtyping.shapelens variable.other.dim.shapelens
#                                         ^ string.quoted.single.python meta.shape.jaxtyping.shapelens constant.numeric.dim.shapelens
#                                           ^^ string.quoted.single.python meta.shape.jaxtyping.shapelens constant.numeric.dim.shapelens
#                                              ^^ string.quoted.single.python meta.shape.jaxtyping.shapelens constant.numeric.dim.shapelens
#                                                ^ string.quoted.single.python meta.shape.jaxtyping.shapelens punctuation.definition.string.end.python
#                                                 ^ meta.jaxtyping.shapelens punctuation.definition.arguments.end.python
#                                                                      ^^^^^ string.quoted.single.python meta.shape.jaxtyping.shapelens variable.other.dim.shapelens
#                                                                            ^^ string.quoted.single.python meta.shape.jaxtyping.shapelens constant.numeric.dim.shapelens
    return x

def f(x: Int[Tensor, "*batch seq"], y: Shaped[Array, "... c h w"]) -> Int64[Tensor, "#b _ _c ?d"]:
#        ^^^ support.type.jaxtyping.shapelens
#                     ^ string.quoted.single.python meta.shape.jaxtyping.shapelens keyword.operator.dim-modifier.shapelens
#                      ^^^^^ string.quoted.single.python meta.shape.jaxtyping.shapelens variable.other.dim.shapelens - keyword.operator.dim-modifier.shapelens
#                            ^^^ string.quoted.single.python meta.shape.jaxtyping.shapelens variable.other.dim.shapelens
#                                      ^^^^^^ support.type.jaxtyping.shapelens
#                                             ^^^^^ meta.item-access.arguments.python - meta.shape.jaxtyping.shapelens
#                                                     ^^^ string.quoted.single.python meta.shape.jaxtyping.shapelens keyword.operator.dim-modifier.shapelens
#                                                         ^ string.quoted.single.python meta.shape.jaxtyping.shapelens variable.other.dim.shapelens
#                                                             ^ string.quoted.single.python meta.shape.jaxtyping.shapelens variable.other.dim.shapelens
#                                                                     ^^^^^ support.type.jaxtyping.shapelens
#                                                                                    ^ string.quoted.single.python meta.shape.jaxtyping.shapelens keyword.operator.dim-modifier.shapelens
#                                                                                     ^ string.quoted.single.python meta.shape.jaxtyping.shapelens variable.other.dim.shapelens
#                                                                                       ^ string.quoted.single.python meta.shape.jaxtyping.shapelens keyword.operator.dim-modifier.shapelens
#                                                                                         ^ string.quoted.single.python meta.shape.jaxtyping.shapelens keyword.operator.dim-modifier.shapelens
#                                                                                          ^ string.quoted.single.python meta.shape.jaxtyping.shapelens variable.other.dim.shapelens
#                                                                                            ^ string.quoted.single.python meta.shape.jaxtyping.shapelens keyword.operator.dim-modifier.shapelens
    return x

image: jaxtyping.Float32[np.ndarray, 'rows=4 dim-1'] = load()
#                ^^^^^^^ support.type.jaxtyping.shapelens
#                                    ^ string.quoted.single.python meta.shape.jaxtyping.shapelens punctuation.definition.string.begin.python
#                                     ^^^^ string.quoted.single.python meta.shape.jaxtyping.shapelens variable.other.dim.shapelens
#                                         ^ string.quoted.single.python meta.shape.jaxtyping.shapelens keyword.operator.assignment.dim.shapelens
#                                          ^ string.quoted.single.python meta.shape.jaxtyping.shapelens constant.numeric.dim.shapelens
#                                               ^ string.quoted.single.python meta.shape.jaxtyping.shapelens keyword.operator.arithmetic.dim.shapelens
#                                                ^ string.quoted.single.python meta.shape.jaxtyping.shapelens constant.numeric.dim.shapelens
#                                                    ^ keyword.operator.assignment.python - meta.jaxtyping.shapelens
maybe: Optional[Float[torch.Tensor, "b c"]] = None
#      ^^^^^^^^ meta.item-access.python - meta.jaxtyping.shapelens
#                                    ^ meta.item-access.python meta.jaxtyping.shapelens string.quoted.single.python meta.shape.jaxtyping.shapelens variable.other.dim.shapelens
#                                         ^ meta.item-access.python punctuation.definition.arguments.end.python - meta.jaxtyping.shapelens

# Not dimension strings.
label = "batch 3 32 32"
#        ^^^^^^^^^^^^^ string.quoted.single.python - meta.shape.jaxtyping.shapelens variable.other.dim.shapelens constant.numeric.dim.shapelens
other = Floaty[Tensor, "b 3"] + Float(3)
#                       ^^^ string.quoted.single.python - meta.shape.jaxtyping.shapelens variable.other.dim.shapelens constant.numeric.dim.shapelens
#                               ^^^^^ meta.function-call.python - meta.jaxtyping.shapelens
text = "Float[Tensor, 'b 3']"  # Float[Tensor, "b 3"]
#                      ^^^ string.quoted.single.python - meta.shape.jaxtyping.shapelens variable.other.dim.shapelens constant.numeric.dim.shapelens
#                                               ^^^ comment.line.number-sign.python - meta.shape.jaxtyping.shapelens variable.other.dim.shapelens constant.numeric.dim.shapelens
fmt: Float[Tensor, f"b {n}"] = Float[Tensor, """b c"""]
#                    ^^^^^ meta.fstring.python - meta.shape.jaxtyping.shapelens variable.other.dim.shapelens
#                                               ^^^ string.quoted.multi.python - meta.shape.jaxtyping.shapelens variable.other.dim.shapelens
