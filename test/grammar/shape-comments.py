# SYNTAX TEST "source.python" "ShapeLens shape declarations in comments"

class Net(nn.Module):
    def forward(self, x):  # x: [N, 3, 32, 32]
#                          ^ comment.line.number-sign.python punctuation.definition.comment.python
#                            ^ comment.line.number-sign.python meta.shape.declaration.shapelens variable.parameter.shape.shapelens
#                             ^ punctuation.separator.colon.shape.shapelens
#                               ^ meta.shape.declaration.shapelens punctuation.definition.shape.begin.shapelens
#                                ^ variable.other.dim.shapelens
#                                 ^ punctuation.separator.dim.shapelens
#                                   ^ constant.numeric.dim.shapelens
#                                      ^^ constant.numeric.dim.shapelens
#                                          ^^ constant.numeric.dim.shapelens
#                                            ^ punctuation.definition.shape.end.shapelens
        return x

    def forward(self, a, b):  # a: [1, 3, 64, 64], b: [1, 3, 64, 64]
#                               ^ variable.parameter.shape.shapelens
#                                  ^ punctuation.definition.shape.begin.shapelens
#                                   ^ constant.numeric.dim.shapelens
#                                               ^ punctuation.definition.shape.end.shapelens
#                                                ^ comment.line.number-sign.python punctuation.separator.shape.shapelens - meta.shape.declaration.shapelens
#                                                  ^ variable.parameter.shape.shapelens
#                                                     ^ punctuation.definition.shape.begin.shapelens
#                                                      ^ constant.numeric.dim.shapelens
#                                                                  ^ punctuation.definition.shape.end.shapelens
        return a + b

    def forward(self, x):  # x: (B, 3, H, W)
#                            ^ variable.parameter.shape.shapelens
#                               ^ punctuation.definition.shape.begin.shapelens
#                                ^ variable.other.dim.shapelens
#                                   ^ constant.numeric.dim.shapelens
#                                      ^ variable.other.dim.shapelens
#                                         ^ variable.other.dim.shapelens
#                                          ^ punctuation.definition.shape.end.shapelens
        return x

    def forward(self, ids):  # ids: int64[N, 128]
#                              ^^^ variable.parameter.shape.shapelens
#                                   ^^^^^ meta.shape.declaration.shapelens storage.type.dtype.shapelens
#                                        ^ punctuation.definition.shape.begin.shapelens
#                                         ^ variable.other.dim.shapelens
#                                            ^^^ constant.numeric.dim.shapelens
#                                               ^ punctuation.definition.shape.end.shapelens
        return ids

    def forward(self, x):
        # x: [2, 8, 50]
#       ^ punctuation.definition.comment.python
#         ^ variable.parameter.shape.shapelens
#            ^ punctuation.definition.shape.begin.shapelens
        y = self.conv(x)
        #   ^ [4, 6, 14, 14]
#       ^^^^^^^^^^^^^^^^^^^^ comment.line.number-sign.python - meta.shape.declaration.shapelens punctuation.definition.shape.begin.shapelens constant.numeric.dim.shapelens
        #   ^ error: expects [4, 6, 14, 14]
#           ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^ comment.line.number-sign.python - meta.shape.declaration.shapelens variable.parameter.shape.shapelens
        #   ^ note: [4, 6, 14, 14]
#                 ^^^^^^^^^^^^^^ comment.line.number-sign.python - meta.shape.declaration.shapelens constant.numeric.dim.shapelens
        return y

# Plain comments: no declaration.
# TODO: (fix)
#       ^^^^^ comment.line.number-sign.python - meta.shape.declaration.shapelens
# see: (this and that)
#      ^^^^^^^^^^^^^^^ comment.line.number-sign.python - meta.shape.declaration.shapelens
shape = {x: [1, 2]}  # a dict in code is not a comment
#        ^^^^^^^^^ - meta.shape.declaration.shapelens constant.numeric.dim.shapelens
