from django.urls import path

from posts import views

app_name = "posts"
urlpatterns = [
    path("new/", views.create, name="create"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/edit/", views.edit, name="edit"),
    path("<int:pk>/delete/", views.delete, name="delete"),
    path("<int:pk>/like/", views.like, name="like"),
    path("<int:pk>/comments/", views.comment, name="comment"),
    path("comments/<int:pk>/edit/", views.edit_comment, name="edit_comment"),
    path("comments/<int:pk>/delete/", views.delete_comment, name="delete_comment"),
    path("comments/<int:pk>/answer/", views.accept_answer, name="accept_answer"),
    path("images/<uuid:key>/", views.post_image, name="image"),
]
